#include "bench/cairn_bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cairn::bench {

namespace {

constexpr int kSubBits = Histogram::kSubBucketBits;
// One exact range [0, 2^(kSubBits+1)), then 2^kSubBits buckets for every
// larger power of two up to 2^63.
constexpr size_t kBucketCount = size_t{64 - kSubBits + 1} << kSubBits;

// The right shift that maps value into its power of two's buckets: 0 for the
// exactly counted values.
int ShiftOf(uint64_t value) {
  const int top_bit = 63 - std::countl_zero(value | 1);
  return std::max(top_bit - kSubBits, 0);
}

}  // namespace

Histogram::Histogram() : counts_(kBucketCount, 0) {}

// Bucket `(shift << kSubBits) + (value >> shift)`: value >> shift lies in
// [2^kSubBits, 2^(kSubBits+1)) once shift > 0, so the ranges of consecutive
// shifts follow each other without gaps or overlap.
size_t Histogram::BucketIndex(uint64_t value) {
  const int shift = ShiftOf(value);
  return (static_cast<size_t>(shift) << kSubBits) + static_cast<size_t>(value >> shift);
}

uint64_t Histogram::BucketLow(size_t index) {
  const int shift = std::max(static_cast<int>(index >> kSubBits) - 1, 0);
  const uint64_t sub_bucket = index - (static_cast<size_t>(shift) << kSubBits);
  return sub_bucket << shift;
}

uint64_t Histogram::BucketWidth(size_t index) {
  const int shift = std::max(static_cast<int>(index >> kSubBits) - 1, 0);
  return uint64_t{1} << shift;
}

void Histogram::Record(uint64_t value) {
  ++counts_[BucketIndex(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::Clear() { *this = Histogram(); }

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

uint64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  const double exact_rank = std::ceil(percentile / 100.0 * static_cast<double>(count_));
  const uint64_t rank =
      std::clamp<uint64_t>(static_cast<uint64_t>(exact_rank), uint64_t{1}, count_);
  // The extremes are known exactly.
  if (rank == 1) return min();
  if (rank == count_) return max_;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t middle = BucketLow(i) + (BucketWidth(i) - 1) / 2;
      return std::clamp(middle, min(), max_);
    }
  }
  return max_;
}

}  // namespace cairn::bench
