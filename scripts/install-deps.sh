#!/usr/bin/env bash
# Installs the Debian 12 packages Cairn builds and tests with. Idempotent:
# packages already installed are skipped, and apt is not touched when none is
# missing. Needs root (or sudo).
# Usage: scripts/install-deps.sh [--fuzz]   (--fuzz adds clang and libFuzzer)
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libboost-dev libspdlog-dev nlohmann-json3-dev libxxhash-dev libcli11-dev
  libedit-dev libgtest-dev libgmock-dev libbenchmark-dev libssl-dev
  openssl  # the TLS tests make their certificates with it
  python3 procps strace netcat-openbsd
  dpkg-dev file  # scripts/package.sh: cpack's dpkg-shlibdeps, and file to find the ELF files
  prometheus  # the metrics test scrapes cairnd with the real thing
)
[[ ${1:-} == --fuzz ]] && packages+=(clang-14 libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
