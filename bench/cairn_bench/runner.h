// RunTest: one cairn-bench test from connect to result. It opens -c fresh
// connections (blocking, AUTH included, not timed), shares them round-robin
// among --threads workers, each with its own event loop (worker 0's on the
// calling thread, so --threads 1 is a single thread), starts the clock, and
// runs until -n requests are answered. The test's time runs from the start
// to the last answer decoded. Any connection failure stops every loop at once
// and the test fails with its message.
#pragma once

#include <string>

#include "bench/cairn_bench/histogram.h"
#include "bench/cairn_bench/options.h"
#include "bench/cairn_bench/workload.h"

namespace cairn::bench {

struct TestResult {
  TestKind kind = TestKind::kPing;
  uint64_t requests = 0;  // answered
  uint64_t errors = 0;
  uint64_t hits = 0;    // GET found, DELETE deleted
  uint64_t misses = 0;  // GET or DELETE answered NOT_FOUND
  double seconds = 0;
  Histogram latency_ns;
  std::string first_error;  // empty when errors == 0
};

struct TestOutcome {
  bool ok = false;
  std::string failure;  // when !ok
  TestResult result;    // when ok
};

// show_progress: refresh a progress line on stderr about 4 times a second.
TestOutcome RunTest(const BenchOptions& options, TestKind kind, bool show_progress);

}  // namespace cairn::bench
