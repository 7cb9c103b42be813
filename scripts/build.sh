#!/usr/bin/env bash
# Configures and builds Cairn. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Defaults to ./build with a RelWithDebInfo build.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
