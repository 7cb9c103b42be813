#!/usr/bin/env bash
# Builds cairnd and the storage and server test suites with ThreadSanitizer
# and runs the tests that exercise concurrency: the DB beside its writer,
# the randomized model test, and the server's pipelining, concurrent
# connections and kill-during-writes tests (which drive a TSan cairnd; a race
# report ends it with an error, failing the test).
# With CAIRN_SUMMARY_FILE set (by .ci/run), appends a line per suite there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_TSAN=ON >/dev/null
cmake --build build-tsan -j"$(nproc)" --target cairnd storage_tests server_tests
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"

# run SUITE FILTER: runs one gtest binary and notes its counts.
run() {
  local out=build-tsan/tsan-$(basename "$1").log rc=0
  "build-tsan/tests/$1" --gtest_filter="$2" 2>&1 | tee "$out" || rc=$?
  local passed
  passed=$(grep -Eo '\[  PASSED  \] [0-9]+ tests?' "$out" | grep -Eo '[0-9]+' || echo 0)
  local line="tsan $1 ($2): $passed tests passed"
  ((rc == 0)) || line+=", FAILED (exit $rc; see $out)"
  [[ -z ${CAIRN_SUMMARY_FILE:-} ]] || echo "$line" >>"$CAIRN_SUMMARY_FILE"
  return "$rc"
}
run storage/storage_tests 'DbConcurrency*:DbModel*:DbFault*'
run server/server_tests 'Pipelining*:Durability*:KillDuring*:BinaryOps*:Auth*:Limits*:Metrics*'
echo "== tsan: no data race reported"
