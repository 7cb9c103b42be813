// The XXH3-64 checksum every file uses and the key hash that routes keys to
// shards (storage/coding.h), over a 16-byte key and a 4 KiB block.
#include <benchmark/benchmark.h>

#include "bench/micro/bench_util.h"
#include "storage/coding.h"

namespace cairn::bench {
namespace {

// Arg: input size in bytes.
template <uint64_t (*Hash)(std::string_view)>
void BM_Hash(benchmark::State& state) {
  const std::string input(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Hash(input));
  SetRates(state, 1, input.size());
}
BENCHMARK_TEMPLATE(BM_Hash, storage::Checksum)->Name("BM_Checksum")->Arg(16)->Arg(4096);
BENCHMARK_TEMPLATE(BM_Hash, storage::KeyHash)->Name("BM_KeyHash")->Arg(16)->Arg(4096);

// Over the distinct keys of a workload, so the modulo's divisor is not folded
// into a constant.
void BM_ShardOf(benchmark::State& state) {
  const std::vector<std::string> keys = RandomKeys(1024);
  const auto shards = static_cast<uint32_t>(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(storage::ShardOf(keys[i], shards));
    i = (i + 1) % keys.size();
  }
  SetRates(state, 1, kKeyBytes);
}
BENCHMARK(BM_ShardOf)->Arg(8);

}  // namespace
}  // namespace cairn::bench
