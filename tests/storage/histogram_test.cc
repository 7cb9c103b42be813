#include "storage/histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace cairn::storage {
namespace {

TEST(HistogramTest, ValuesFallInTheFirstBoundTheyDoNotExceed) {
  Histogram h({1, 2, 4});
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 100.0}) h.Observe(v);
  const Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.bounds, (std::vector<double>{1, 2, 4}));
  // <= 1: 0.5, 1; <= 2: and 1.5, 2; <= 4: and 3, 4; +Inf: all 8.
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 6, 8}));
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 117.0);
}

TEST(HistogramTest, ExponentialBounds) {
  EXPECT_EQ(Histogram::Exponential(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
}

TEST(HistogramTest, ConcurrentObservationsAreAllCounted) {
  Histogram h(Histogram::Exponential(1, 2, 10));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.Observe(static_cast<double>((i + t) % 700));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.Read().count, 40000u);
}

}  // namespace
}  // namespace cairn::storage
