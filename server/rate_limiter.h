// RateLimiter: lets at most N events a second through, counting the rest, so
// a flood of bad input cannot fill the disk with warnings. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace cairn::server {

class RateLimiter {
 public:
  explicit RateLimiter(uint64_t per_second) : per_second_(per_second) {}

  // True when this event may be logged; *suppressed is then the number of
  // events dropped since the last one let through.
  bool Allow(uint64_t* suppressed) {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= std::chrono::seconds(1)) {
      window_start_ = now;
      in_window_ = 0;
    }
    if (in_window_ >= per_second_) {
      ++suppressed_;
      return false;
    }
    ++in_window_;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  const uint64_t per_second_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point window_start_{};
  uint64_t in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace cairn::server
