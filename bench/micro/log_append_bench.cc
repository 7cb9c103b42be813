// The log append path as DB::Commit drives it: encode a group of PUT records
// (16-byte key, 100-byte value) with AppendLogRecord, then one
// LogWriter::Append of the group. Groups of 1, 16 and 256 records.
//
// Where: PosixEnv under TMPDIR (default /tmp: the disk) and PosixEnv under
// /dev/shm (tmpfs). The storage layer has no in-memory Env (FaultInjectionEnv
// wraps real files), so tmpfs stands in for one.
//
// BM_LogAppendNoSync_* never syncs: it measures encoding plus write(2) into
// the page cache. BM_DiskLogAppendSyncPerGroup adds an fdatasync after every
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
  explicit LogFixture(const std::filesystem::path& base) : dir_(base) {}

  storage::LogWriter* writer() { return writer_.get(); }

  storage::Status Restart() {
    writer_.reset();
    storage::Env* env = storage::Env::Default();
    const std::string name = dir_.path() + "/" + storage::SegmentFileName(1);
    if (env->FileExists(name)) env->RemoveFile(name);
    std::unique_ptr<storage::WritableFile> file;
    storage::Status s = storage::LogWriter::CreateSegment(env, dir_.path(), 1, &file);
    if (!s.ok()) return s;
    writer_ = std::make_unique<storage::LogWriter>(
        env, dir_.path(), kSegmentCap, std::vector<storage::SegmentInfo>{}, 1, std::move(file), 0);
    return s;
  }

 private:
  ScratchDir dir_;
  std::unique_ptr<storage::LogWriter> writer_;
};

// Arg: records per group.
void RunAppend(benchmark::State& state, const std::filesystem::path& base, bool sync) {
  const auto group = static_cast<size_t>(state.range(0));
  const std::vector<std::string> keys = RandomKeys(1024);
  const std::string value = Value();
  LogFixture log(base);
  storage::Status s = log.Restart();
  std::vector<storage::LogOp> ops(1);
  std::string buffer;
  uint64_t version = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    buffer.clear();
    for (size_t i = 0; i < group; ++i) {
      ++version;
      ops[0] = {false, keys[version % keys.size()], value};
      storage::AppendLogRecord(&buffer, version, ops);
    }
    if (s.ok()) s = log.writer()->Append(buffer, version);
    if (s.ok() && sync) s = log.writer()->Sync();
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
