#!/usr/bin/env bash
# Configures and builds Cairn.
# Usage: scripts/build.sh [BUILD_DIR] [--target NAME]... [extra cmake args...]
# Defaults to ./build with a RelWithDebInfo build of every target.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
cmake_args=()
targets=()
while (($#)); do
  if [[ $1 == --target ]]; then
    targets+=(--target "$2")
    shift 2
  else
    cmake_args+=("$1")
    shift
  fi
done
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}"
