// SharedRun: what every connection of one test shares, across threads: the
// workload, the request budget (-n) that connections claim batch by batch,
// the count of connections still running, and the first failure, which stops
// every event loop of the test.
#pragma once

// clang-format off
#include <utility>  // Boost 1.74's asio/awaitable.hpp needs it first (see server/asio.h)
#include <boost/asio/io_context.hpp>
// clang-format on
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "bench/cairn_bench/workload.h"

namespace cairn::bench {

class SharedRun {
 public:
  // REQUIRES: *workload outlives this.
  SharedRun(const Workload* workload, uint64_t requests, uint32_t pipeline, uint32_t connections);

  SharedRun(const SharedRun&) = delete;
  SharedRun& operator=(const SharedRun&) = delete;

  const Workload& workload() const { return workload_; }
  uint32_t pipeline() const { return pipeline_; }

  // Takes up to pipeline() requests from the budget: how many were taken, 0
  // once it is spent. Thread-safe.
  uint32_t Claim();

  // A connection finished: the budget is spent and its last batch answered.
  // The last one to finish runs the on_finished callback, on its own thread.
  void ConnectionDone();
  // REQUIRES: called before any event loop runs.
  void set_on_finished(std::function<void()> on_finished) { on_finished_ = std::move(on_finished); }

  // REQUIRES: called before any event loop runs. Loops stopped by Abort().
  void AddLoop(boost::asio::io_context* loop) { loops_.push_back(loop); }
  // Keeps the first failure's message and stops every loop. Thread-safe.
  void Abort(const std::string& message);
  bool aborted() const { return aborted_.load(std::memory_order_acquire); }
  // REQUIRES: every loop has returned.
  const std::string& failure() const { return failure_; }

 private:
  const Workload& workload_;
  const uint64_t requests_;
  const uint32_t pipeline_;
  std::atomic<uint64_t> claimed_{0};
  std::atomic<uint32_t> running_connections_;
  std::function<void()> on_finished_;
  std::vector<boost::asio::io_context*> loops_;
  std::atomic<bool> aborted_{false};
  std::mutex failure_mutex_;
  std::string failure_;
};

}  // namespace cairn::bench
