// ProgressLine: redis-benchmark's live line on stderr, refreshed every 250 ms
// from a timer on one worker's loop while a test runs:
//   "\rPUT: rps=81234.0 (overall: 80012.3) avg_msec=0.312 (overall: 0.305)"
// rps and avg_msec cover the last interval; overall, the test so far. It
// reads the workers' progress counters, which any thread may do.
#pragma once

// clang-format off
#include <utility>  // Boost 1.74's asio/awaitable.hpp needs it first (see server/asio.h)
#include <boost/asio/steady_timer.hpp>
// clang-format on
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/cairn_bench/worker.h"

namespace cairn::bench {

class ProgressLine {
 public:
  // REQUIRES: every worker outlives this; *timer_loop is one of their loops.
  ProgressLine(boost::asio::io_context* timer_loop, std::string label,
               const std::vector<std::unique_ptr<Worker>>* workers);

  // Arms the first refresh; the clock of "overall" starts now.
  void Start();
  // Stops refreshing and lets the loop return. Runs on the timer's loop.
  void Stop();
  // Erases the line. REQUIRES: the loop has returned.
  void Clear();

 private:
  void Arm();
  void Print();

  boost::asio::steady_timer timer_;
  const std::string label_;
  const std::vector<std::unique_ptr<Worker>>& workers_;
  bool stopped_ = false;
  bool printed_ = false;
  Clock::time_point start_;
  Clock::time_point last_time_;
  uint64_t last_answered_ = 0;
  uint64_t last_latency_ns_ = 0;
};

}  // namespace cairn::bench
