// Full DB::Open of a data directory holding 100k keys (16-byte key, 100-byte
// value, written in groups of 256): from the log only, and from snapshots
// (the log pruned up to them, so only a short active segment of covered
// records remains). Directories live under TMPDIR and are prepared once per
// process, untimed; their files are in the page cache by the time Open runs,
// so this is CPU-bound recovery, not disk reads. Closing the DB (freeing the
// index, a final fdatasync) is not timed. Options are the defaults (8 shards,
// recovery_threads = hardware concurrency) except 1 MiB log segments, so
// that snapshots can prune.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>

#include "bench/micro/bench_util.h"
#include "storage/db.h"

namespace cairn::bench {
namespace {

constexpr size_t kKeys = 100000;
constexpr size_t kGroup = 256;

storage::Options BenchOptions() {
  storage::Options options;
  options.segment_bytes = 1 << 20;
  options.sync_policy = storage::SyncPolicy::kNone;
  return options;
}

// The directory of a prepared database, "" if preparing it failed.
class PreparedDb {
 public:
  explicit PreparedDb(bool snapshot) {
    const std::string dir = dir_.path() + "/db";
    std::unique_ptr<storage::DB> db;
    storage::Status s = storage::DB::Open(BenchOptions(), dir, &db);
    if (!s.ok()) return;
    const std::string value = Value();
    std::vector<storage::Mutation> group;
    std::vector<storage::MutationResult> results;
    const std::vector<std::string> keys = RandomKeys(kKeys);
    for (size_t i = 0; i < keys.size(); i += kGroup) {
      group.clear();
      for (size_t j = i; j < std::min(keys.size(), i + kGroup); ++j) {
        group.push_back(storage::Mutation::Put(keys[j], value));
      }
      db->Commit(group, &results);
    }
    uint64_t covered = 0;
    if (snapshot) s = db->Snapshot(&covered);
    if (!s.ok() || db->Stats().keys != kKeys) return;
    db.reset();
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) bytes_ += entry.file_size();
    }
    path_ = dir;
  }

  const std::string& path() const { return path_; }
  // Bytes of the files in the directory.
  uint64_t bytes() const { return bytes_; }

 private:
  ScratchDir dir_;
  std::string path_;
  uint64_t bytes_ = 0;
};

void BM_DbOpen(benchmark::State& state, bool snapshot) {
  static const PreparedDb log_only(false);
  static const PreparedDb with_snapshots(true);
  const PreparedDb& prepared = snapshot ? with_snapshots : log_only;
  const std::string& dir = prepared.path();
  if (dir.empty()) {
    state.SkipWithError("preparing the data directory failed");
    return;
  }
  for (auto _ : state) {
    std::unique_ptr<storage::DB> db;
    storage::Status s = storage::DB::Open(BenchOptions(), dir, &db);
    if (!s.ok() || db->Stats().keys != kKeys) {
      state.SkipWithError(s.ok() ? "keys missing after open" : s.ToString().c_str());
      break;
    }
    state.PauseTiming();
    db.reset();
    state.ResumeTiming();
  }
  SetRates(state, kKeys, prepared.bytes());
}
// Real time: snapshot loading runs on several threads, whose CPU time the
// benchmark thread's clock does not see.
BENCHMARK_CAPTURE(BM_DbOpen, log_only, false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DbOpen, snapshots, true)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();

}  // namespace
}  // namespace cairn::bench
