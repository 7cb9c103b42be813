#!/usr/bin/env bash
# Builds cairnd and the storage and server test suites with ThreadSanitizer
# and runs the tests that exercise concurrency: the DB beside its writer,
# the randomized model test, and the server's pipelining, concurrent
# connections and kill-during-writes tests (which drive a TSan cairnd; a race
# report ends it with an error, failing the test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_TSAN=ON >/dev/null
cmake --build build-tsan -j"$(nproc)" --target cairnd storage_tests server_tests
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
build-tsan/tests/storage/storage_tests --gtest_filter='DbConcurrency*:DbModel*:DbFault*'
build-tsan/tests/server/server_tests \
  --gtest_filter='Pipelining*:Durability*:KillDuring*:BinaryOps*:Auth*:Limits*'
echo "== tsan: no data race reported"
