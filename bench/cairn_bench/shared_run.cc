#include "bench/cairn_bench/shared_run.h"

#include <algorithm>

namespace cairn::bench {

SharedRun::SharedRun(const Workload* workload, uint64_t requests, uint32_t pipeline,
                     uint32_t connections)
    : workload_(*workload),
      requests_(requests),
      pipeline_(pipeline),
      running_connections_(connections) {}

// fetch_add may overshoot the budget; the overshoot is never sent, so -n
// requests are sent exactly, the last batch possibly short.
uint32_t SharedRun::Claim() {
  const uint64_t before = claimed_.fetch_add(pipeline_, std::memory_order_relaxed);
  if (before >= requests_) return 0;
  return static_cast<uint32_t>(std::min<uint64_t>(pipeline_, requests_ - before));
}

void SharedRun::ConnectionDone() {
  if (running_connections_.fetch_sub(1, std::memory_order_acq_rel) == 1 && on_finished_) {
    on_finished_();
  }
}

void SharedRun::Abort(const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(failure_mutex_);
    if (failure_.empty()) failure_ = message;
  }
  aborted_.store(true, std::memory_order_release);
  for (boost::asio::io_context* loop : loops_) loop->stop();
}

}  // namespace cairn::bench
