#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test on the shipped
# optimization; with --asan, the same suite under AddressSanitizer +
# UndefinedBehaviorSanitizer instead (its own CI stage).
# Ends with a summary: the test counts and what the crash, fault and attack
# tests tried (also after a failure). Exits non-zero on any failure.
# With CAIRN_SUMMARY_FILE set (by .ci/run), the summary is appended there too.
# Usage: scripts/test.sh [--asan]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
summary=()
note() { summary+=("$@"); }
print_summary() {
  echo "== test summary"
  printf '%s\n' "${summary[@]}"
  [[ -z ${CAIRN_SUMMARY_FILE:-} ]] || printf '%s\n' "${summary[@]}" >>"$CAIRN_SUMMARY_FILE"
}
trap print_summary EXIT

# run_suite NAME DIR [cmake args...]: builds DIR, runs its tests, notes what ran.
run_suite() {
  local name=$1 dir=$2
  shift 2
  echo "== build $dir ($*)"
  if ! scripts/build.sh "$dir" "$@"; then
    note "$name ($dir): FAILED to build"
    return 1
  fi
  echo "== test $dir"
  local out=$dir/Testing/ctest-output.log rc=0
  mkdir -p "$dir/Testing"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600 2>&1 | tee "$out" || rc=$?
  local counts
  counts=$(grep -Eo '[0-9]+ tests failed out of [0-9]+' "$out" | tail -1)
  note "$name ($dir): $( ((rc == 0)) && echo passed || echo FAILED), ${counts:-no ctest summary}"
  # ctest's lists of tests that failed or did not run (skipped, disabled).
  while IFS= read -r line; do note "  not passed: $line"; done \
    < <(grep -E '^[[:space:]]+[0-9]+ - .+ \(.+\)$' "$out" | sed -E 's/^[[:space:]]+[0-9]+ - //')
  while IFS= read -r line; do note "  $line"; done < <(grep -hE \
    '^(power cut|model test|kill loop|fsync discipline|full disk|hostile clients|permission|page loss|sync failure|crash explorer|prometheus):' \
    "$dir/Testing/Temporary/LastTest.log" || true)
  return "$rc"
}

case ${1:-} in
  "")
    # The shipped optimization (-O2, NDEBUG) with line tables only (-g1): full
    # debug info is much of the compile time, and stack traces need no more.
    run_suite "normal suite" build -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
    ;;
  --asan)
    # -O1 -g1 (what ASan's authors recommend) compiles in about half the time
    # of -O2 -g and still gives stack traces with lines; no NDEBUG, so this
    # pass also checks every assert.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_suite "ASan+UBSan suite" build-asan -DCAIRN_SANITIZE=ON \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"
    ;;
  *)
    echo "usage: scripts/test.sh [--asan]" >&2
    exit 2
    ;;
esac
echo "== all tests passed"
