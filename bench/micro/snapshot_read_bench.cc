// Recovery's snapshot parsing: ReadSnapshot over an in-memory image of 100k
// entries (16-byte key, 100-byte value): one checksum over the whole file,
// then a visit per entry. The image is written once by WriteSnapshot (on
// tmpfs) so the benchmark reads exactly the production format.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "bench/micro/bench_util.h"
#include "storage/env.h"
#include "storage/snapshot.h"

namespace cairn::bench {
namespace {

constexpr size_t kEntries = 100000;

std::string SnapshotImage() {
  std::vector<std::string> keys = RandomKeys(kEntries);
  std::sort(keys.begin(), keys.end());
  std::vector<storage::SnapshotEntry> entries;
  entries.reserve(keys.size());
  uint64_t version = 0;
  for (std::string& key : keys) entries.push_back({std::move(key), Value(), ++version});
  ScratchDir dir(ScratchDir::InMemoryBase());
  storage::Env* env = storage::Env::Default();
  const storage::SnapshotInfo info{1, 0, version};
  std::string contents;
  storage::Status s = storage::WriteSnapshot(env, dir.path(), info, entries);
  if (s.ok()) {
    s = storage::ReadFileToString(env, dir.path() + "/" + storage::SnapshotFileName(1, 0),
                                  &contents);
  }
  return s.ok() ? contents : std::string();
}

void BM_SnapshotRead(benchmark::State& state) {
  static const std::string contents = SnapshotImage();
  for (auto _ : state) {
    storage::SnapshotInfo info;
    size_t entries = 0;
    storage::Status s = storage::ReadSnapshot(
        contents, &info, [&](std::string_view key, std::string_view value, uint64_t version) {
          benchmark::DoNotOptimize(key.data());
          benchmark::DoNotOptimize(value.data());
          benchmark::DoNotOptimize(version);
          ++entries;
        });
    if (!s.ok() || entries != kEntries) {
      state.SkipWithError(s.ok() ? "entries missing" : s.ToString().c_str());
      break;
    }
  }
  SetRates(state, kEntries, contents.size());
}
BENCHMARK(BM_SnapshotRead)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn::bench
