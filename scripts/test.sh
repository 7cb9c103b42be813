#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the whole suite on a
# normal build, then again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
run_suite() {
  local dir=$1
  shift
  echo "== build $dir ($*)"
  scripts/build.sh "$dir" "$@"
  echo "== test $dir"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600
  echo "== what the crash, fault and attack tests tried ($dir)"
  grep -hE '^(power cut|model test|kill loop|fsync discipline|full disk|hostile clients):' \
    "$dir/Testing/Temporary/LastTest.log" | sed 's/^/  /' || true
}

run_suite build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCAIRN_SANITIZE=ON
echo "== all tests passed"
