// The in-memory index through Shard's public API only (its internals are
// free to change): Put of 100k random 16-byte keys with 100-byte values into
// a fresh shard, Get (and VersionOf) of random existing keys, and Scan of
// 100 keys from a random existing start key, on a shard holding those 100k
// keys.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>

#include "bench/micro/bench_util.h"
#include "storage/shard.h"

namespace cairn::bench {
namespace {

constexpr size_t kKeys = 100000;

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = RandomKeys(kKeys);
  return keys;
}

// A shard holding Keys(), built once for the read benchmarks.
const storage::Shard& FilledShard() {
  static const std::unique_ptr<storage::Shard> shard = [] {
    auto filled = std::make_unique<storage::Shard>();
    const std::string value = Value();
    uint64_t version = 0;
    for (const std::string& key : Keys()) filled->Put(key, value, ++version);
    return filled;
  }();
  return *shard;
}

// Keys in a random order, so lookups do not walk the index in insertion order.
std::vector<std::string> Shuffled() {
  std::vector<std::string> keys = Keys();
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(7));
  return keys;
}

void BM_ShardPutFresh(benchmark::State& state) {
  const std::string value = Value();
  for (auto _ : state) {
    auto shard = std::make_unique<storage::Shard>();
    uint64_t version = 0;
    for (const std::string& key : Keys()) shard->Put(key, value, ++version);
    state.PauseTiming();  // freeing 100k entries is not the Put path
    shard.reset();
    state.ResumeTiming();
  }
  SetRates(state, kKeys, kKeys * (kKeyBytes + kValueBytes));
}
BENCHMARK(BM_ShardPutFresh)->Unit(benchmark::kMillisecond);

void BM_ShardGet(benchmark::State& state) {
  const storage::Shard& shard = FilledShard();
  const std::vector<std::string> keys = Shuffled();
  size_t i = 0;
  for (auto _ : state) {
    std::optional<storage::IndexEntry> entry = shard.Get(keys[i]);
    if (!entry) {
      state.SkipWithError("key missing");
      break;
    }
    benchmark::DoNotOptimize(entry->value.data());
    if (++i == keys.size()) i = 0;
  }
  SetRates(state, 1, kKeyBytes + kValueBytes);
}
BENCHMARK(BM_ShardGet);

// The same lookups without copying the value out: Get minus this is the
// price of the copy.
void BM_ShardVersionOf(benchmark::State& state) {
  const storage::Shard& shard = FilledShard();
  const std::vector<std::string> keys = Shuffled();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(shard.VersionOf(keys[i]));
    if (++i == keys.size()) i = 0;
  }
  SetRates(state, 1, kKeyBytes);
}
BENCHMARK(BM_ShardVersionOf);

// Arg: keys per scan.
void BM_ShardScan(benchmark::State& state) {
  const storage::Shard& shard = FilledShard();
  const std::vector<std::string> starts = Shuffled();
  const auto limit = static_cast<size_t>(state.range(0));
  std::vector<std::pair<std::string, storage::IndexEntry>> out;
  size_t i = 0;
  int64_t entries = 0;
  for (auto _ : state) {
    out.clear();
    shard.Scan(starts[i], "", limit, &out);
    entries += static_cast<int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
    if (++i == starts.size()) i = 0;
  }
  state.SetItemsProcessed(entries);
  state.SetBytesProcessed(entries * static_cast<int64_t>(kKeyBytes + kValueBytes));
}
BENCHMARK(BM_ShardScan)->Arg(100);

}  // namespace
}  // namespace cairn::bench
