// Histogram against the exact answers: percentiles of sorted samples within
// 1%, exact count/min/max/mean, and merging equal to recording everything in
// one.
#include "bench/cairn_bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace cairn::bench {
namespace {

constexpr double kPercentiles[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};

// The sample of rank ceil(p/100 * n) in sorted order, as Histogram defines it.
uint64_t Exact(std::vector<uint64_t> samples, double percentile) {
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<size_t>(std::ceil(percentile / 100.0 * samples.size()));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

void ExpectWithinOnePercent(const std::vector<uint64_t>& samples) {
  Histogram histogram;
  for (uint64_t sample : samples) histogram.Record(sample);
  for (double percentile : kPercentiles) {
    const double exact = static_cast<double>(Exact(samples, percentile));
    const double read = static_cast<double>(histogram.ValueAtPercentile(percentile));
    EXPECT_LE(std::abs(read - exact), 0.01 * exact)
        << "p" << percentile << ": exact " << exact << ", histogram " << read;
  }
  EXPECT_EQ(histogram.count(), samples.size());
  EXPECT_EQ(histogram.min(), *std::min_element(samples.begin(), samples.end()));
  EXPECT_EQ(histogram.max(), *std::max_element(samples.begin(), samples.end()));
  const double sum = std::accumulate(samples.begin(), samples.end(), 0.0);
  EXPECT_NEAR(histogram.mean(), sum / samples.size(), 1e-9 * sum / samples.size());
}

TEST(HistogramTest, EmptyReadsZero) {
  Histogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  EXPECT_EQ(histogram.mean(), 0.0);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 0u);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram histogram;
  for (uint64_t value = 0; value < 256; ++value) histogram.Record(value);
  for (uint64_t rank = 1; rank <= 256; ++rank) {
    EXPECT_EQ(histogram.ValueAtPercentile(100.0 * rank / 256), rank - 1);
  }
}

TEST(HistogramTest, UniformLatenciesWithinOnePercent) {
  std::mt19937_64 random(1);
  std::uniform_int_distribution<uint64_t> nanos(20'000, 5'000'000);
  std::vector<uint64_t> samples(100'000);
  for (uint64_t& sample : samples) sample = nanos(random);
  ExpectWithinOnePercent(samples);
}

TEST(HistogramTest, LongTailedLatenciesWithinOnePercent) {
  std::mt19937_64 random(2);
  std::lognormal_distribution<double> nanos(12.0, 1.5);  // median ~160 us, tail to seconds
  std::vector<uint64_t> samples(100'000);
  for (uint64_t& sample : samples) sample = static_cast<uint64_t>(nanos(random));
  ExpectWithinOnePercent(samples);
}

TEST(HistogramTest, EveryMagnitudeWithinOnePercent) {
  std::mt19937_64 random(3);
  std::vector<uint64_t> samples;
  for (int bits = 0; bits < 64; ++bits) {
    for (int i = 0; i < 50; ++i) samples.push_back(random() >> bits);
  }
  samples.push_back(UINT64_MAX);
  Histogram histogram;
  for (uint64_t sample : samples) histogram.Record(sample);
  for (double percentile : kPercentiles) {
    const double exact = static_cast<double>(Exact(samples, percentile));
    const double read = static_cast<double>(histogram.ValueAtPercentile(percentile));
    EXPECT_LE(std::abs(read - exact), 0.01 * exact) << "p" << percentile;
  }
  EXPECT_EQ(histogram.max(), UINT64_MAX);
  EXPECT_EQ(histogram.ValueAtPercentile(100), UINT64_MAX);
}

TEST(HistogramTest, MaxAndMinAreTrackedExactly) {
  Histogram histogram;
  histogram.Record(1'000'003);
  histogram.Record(999);
  histogram.Record(123'456'789);
  histogram.Record(50'000);
  EXPECT_EQ(histogram.min(), 999u);
  EXPECT_EQ(histogram.max(), 123'456'789u);
  // The highest and lowest percentiles are clamped to the samples seen.
  EXPECT_EQ(histogram.ValueAtPercentile(100), 123'456'789u);
  EXPECT_EQ(histogram.ValueAtPercentile(1), 999u);
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 random(4);
  std::lognormal_distribution<double> nanos(11.0, 1.0);
  Histogram parts[3];
  Histogram whole;
  std::vector<uint64_t> samples;
  for (int i = 0; i < 30'000; ++i) {
    const auto sample = static_cast<uint64_t>(nanos(random));
    parts[i % 3].Record(sample);
    whole.Record(sample);
    samples.push_back(sample);
  }
  // A part holding the maximum alone, to check max survives any merge order.
  Histogram spike;
  spike.Record(9'000'000'000);
  whole.Record(9'000'000'000);
  samples.push_back(9'000'000'000);

  Histogram merged;
  merged.Merge(parts[0]);
  merged.Merge(spike);
  merged.Merge(parts[1]);
  merged.Merge(parts[2]);
  merged.Merge(Histogram());  // an empty one changes nothing
  EXPECT_EQ(merged.count(), whole.count());
  EXPECT_EQ(merged.min(), whole.min());
  EXPECT_EQ(merged.max(), 9'000'000'000u);
  EXPECT_DOUBLE_EQ(merged.mean(), whole.mean());
  for (double percentile : kPercentiles) {
    EXPECT_EQ(merged.ValueAtPercentile(percentile), whole.ValueAtPercentile(percentile));
    const double exact = static_cast<double>(Exact(samples, percentile));
    EXPECT_LE(std::abs(static_cast<double>(merged.ValueAtPercentile(percentile)) - exact),
              0.01 * exact);
  }
}

TEST(HistogramTest, ClearForgetsEverything) {
  Histogram histogram;
  histogram.Record(5);
  histogram.Record(5'000);
  histogram.Clear();
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  histogram.Record(7);
  EXPECT_EQ(histogram.min(), 7u);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 7u);
}

}  // namespace
}  // namespace cairn::bench
