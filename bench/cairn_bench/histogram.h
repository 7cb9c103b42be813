// Histogram: counts of non-negative integer samples (cairn-bench records
// latencies in nanoseconds) in log-linear buckets, in the manner of
// HdrHistogram. Values below 2^kSubBucketBits are counted exactly; above,
// every power-of-two range [2^k, 2^(k+1)) is cut into 2^kSubBucketBits equal
// buckets, so a bucket is at most 1/128 of its lower bound wide. A percentile
// is read back as its bucket's midpoint, clamped to [min, max], hence within
// 0.4% of the exact sample at that rank. Memory is fixed (about 59 KB) however
// many samples and however large; count, min, max and sum are exact. Merge()
// adds another histogram, so each thread records into its own and they are
// merged at the end. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cairn::bench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;

  Histogram();

  void Record(uint64_t value);
  // Adds every sample of other, as if each had been recorded here.
  void Merge(const Histogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  // Exact; 0 when empty.
  double mean() const;

  // The sample of rank ceil(percentile / 100 * count) (1-based) in sorted
  // order, within the bound above (exactly min() and max() for the first and
  // last ranks); 0 when empty.
  // REQUIRES: 0 < percentile <= 100.
  uint64_t ValueAtPercentile(double percentile) const;

 private:
  static size_t BucketIndex(uint64_t value);
  // The smallest value of bucket `index`, and the number of values in it.
  static uint64_t BucketLow(size_t index);
  static uint64_t BucketWidth(size_t index);

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  // 2^64 ns is 584 years: a sum of latencies does not overflow.
  uint64_t sum_ = 0;
};

}  // namespace cairn::bench
