#include "bench/cairn_bench/progress.h"

#include <cstdio>

namespace cairn::bench {

namespace {

constexpr std::chrono::milliseconds kRefresh(250);

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

double AverageMs(uint64_t latency_ns, uint64_t count) {
  return count == 0 ? 0.0 : static_cast<double>(latency_ns) / static_cast<double>(count) / 1e6;
}

}  // namespace

ProgressLine::ProgressLine(boost::asio::io_context* timer_loop, std::string label,
                           const std::vector<std::unique_ptr<Worker>>* workers)
    : timer_(*timer_loop), label_(std::move(label)), workers_(*workers) {}

void ProgressLine::Start() {
  start_ = last_time_ = Clock::now();
  Arm();
}

void ProgressLine::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void ProgressLine::Clear() {
  if (printed_) std::fputs("\r\033[K", stderr);
}

void ProgressLine::Arm() {
  timer_.expires_after(kRefresh);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    Print();
    Arm();
  });
}

void ProgressLine::Print() {
  uint64_t answered = 0;
  uint64_t latency_ns = 0;
  for (const std::unique_ptr<Worker>& worker : workers_) {
    answered += worker->progress_answered();
    latency_ns += worker->progress_latency_ns();
  }
  const Clock::time_point now = Clock::now();
  const uint64_t interval_answered = answered - last_answered_;
  std::fprintf(stderr, "\r\033[K%s: rps=%.1f (overall: %.1f) avg_msec=%.3f (overall: %.3f)",
               label_.c_str(), static_cast<double>(interval_answered) / Seconds(now - last_time_),
               static_cast<double>(answered) / Seconds(now - start_),
               AverageMs(latency_ns - last_latency_ns_, interval_answered),
               AverageMs(latency_ns, answered));
  std::fflush(stderr);
  printed_ = true;
  last_time_ = now;
  last_answered_ = answered;
  last_latency_ns_ = latency_ns;
}

}  // namespace cairn::bench
