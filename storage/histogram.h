// Histogram: counts of observations in fixed buckets, the data of a
// Prometheus histogram. Observe is lock-free and may be called from any
// thread; Read may run concurrently with it and returns counts that are each
// exact but not one point in time (a reader may see an observation in a
// bucket before it sees it in the count).
//
// Bounds are the buckets' inclusive upper bounds, ascending; a value above
// the last bound falls in the implicit +Inf bucket.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace cairn::storage {

class Histogram {
 public:
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf: observations <= it
    double sum = 0;
    uint64_t count = 0;
  };

  // REQUIRES: bounds ascending and not empty.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);
  Snapshot Read() const;

  // Bounds from first to last, each factor times the one before.
  static std::vector<double> Exponential(double first, double factor, int count);

 private:
  const std::vector<double> bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

}  // namespace cairn::storage
