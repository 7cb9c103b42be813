// The log append path as DB::Commit drives it: encode a group of PUT records
// (16-byte key, 100-byte value) with AppendLogRecord after the group record,
// then one LogWriter::Commit of the group. Groups of 1, 16 and 256 records.
//
// Where: PosixEnv under TMPDIR (default /tmp: the disk) and PosixEnv under
// /dev/shm (tmpfs). The storage layer has no in-memory Env (FaultInjectionEnv
// wraps real files), so tmpfs stands in for one.
//
// BM_LogAppendNoSync_* syncs only once per version reservation: it measures
// encoding plus write(2) into the page cache. BM_DiskLogAppendSyncPerGroup
// (SyncPolicy::kEveryCommit) adds an fdatasync after every
// group, so its time per group is dominated by the DISK's flush latency, not
// by Cairn code; compare it with the NoSync numbers for the per-sync cost.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench/micro/bench_util.h"
#include "storage/env.h"
#include "storage/log_format.h"
#include "storage/log_writer.h"

namespace cairn::bench {
namespace {

// A segment past this size is thrown away and restarted (untimed), so a long
// run neither fills the disk nor tmpfs' memory.
constexpr uint64_t kSegmentCap = 64ull << 20;

class LogFixture {
 public:
  LogFixture(const std::filesystem::path& base, bool sync) : dir_(base) {
    options_.segment_bytes = kSegmentCap;
    options_.sync_policy = sync ? storage::SyncPolicy::kEveryCommit : storage::SyncPolicy::kNone;
  }

  storage::LogWriter* writer() { return writer_.get(); }

  storage::Status Restart() {
    writer_.reset();
    storage::Env* env = storage::Env::Default();
    const std::string name = dir_.path() + "/" + storage::SegmentFileName(1);
    if (env->FileExists(name)) env->RemoveFile(name);
    std::unique_ptr<storage::WritableFile> file;
    storage::Status s = storage::LogWriter::CreateSegment(env, dir_.path(), 1, {}, &file);
    if (!s.ok()) return s;
    writer_ = std::make_unique<storage::LogWriter>(
        options_, dir_.path(), std::vector<storage::SegmentInfo>{}, 1, std::move(file), 0);
    last_version = 0;
    return writer_->Start(0);
  }

  uint64_t last_version = 0;  // of the last record committed

 private:
  ScratchDir dir_;
  storage::Options options_;
  std::unique_ptr<storage::LogWriter> writer_;
};

// Arg: records per group.
void RunAppend(benchmark::State& state, const std::filesystem::path& base, bool sync) {
  const auto group = static_cast<size_t>(state.range(0));
  const std::vector<std::string> keys = RandomKeys(1024);
  const std::string value = Value();
  LogFixture log(base, sync);
  storage::Status s = log.Restart();
  std::vector<storage::LogOp> ops(1);
  std::string buffer;
  int64_t bytes = 0;
  for (auto _ : state) {
    storage::LogWriter::ReserveGroupRecord(&buffer);
    for (size_t i = 0; i < group; ++i) {
      ++log.last_version;
      ops[0] = {false, keys[log.last_version % keys.size()], value};
      storage::AppendLogRecord(&buffer, log.last_version, ops);
    }
    if (s.ok()) s = log.writer()->Commit(&buffer, log.last_version);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    bytes += static_cast<int64_t>(buffer.size());
    if (log.writer()->active_size() >= kSegmentCap) {
      state.PauseTiming();
      s = log.Restart();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(group));
  state.SetBytesProcessed(bytes);
  state.counters["groups/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_LogAppendNoSync_Disk(benchmark::State& state) {
  RunAppend(state, std::filesystem::temp_directory_path(), /*sync=*/false);
}
BENCHMARK(BM_LogAppendNoSync_Disk)->Arg(1)->Arg(16)->Arg(256);

void BM_LogAppendNoSync_Tmpfs(benchmark::State& state) {
  RunAppend(state, ScratchDir::InMemoryBase(), /*sync=*/false);
}
BENCHMARK(BM_LogAppendNoSync_Tmpfs)->Arg(1)->Arg(16)->Arg(256);

// Measures the disk under TMPDIR: one fdatasync per group.
void BM_DiskLogAppendSyncPerGroup(benchmark::State& state) {
  RunAppend(state, std::filesystem::temp_directory_path(), /*sync=*/true);
}
// Real time: the thread sleeps in fdatasync, which CPU time does not see.
BENCHMARK(BM_DiskLogAppendSyncPerGroup)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace cairn::bench
