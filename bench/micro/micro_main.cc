// cairn-micro-bench: Google Benchmark micro-benchmarks of the protocol codec,
// the log append path, recovery parsing, the key hash and the shard index.
// Numbers come from here (and bench/), never from tests.
//
// Build and run (Release, or numbers mean little):
//   cmake -S . -B build-micro -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-micro -j2 --target cairn-micro-bench
//   build-micro/bench/micro/cairn-micro-bench                       # everything
//   build-micro/bench/micro/cairn-micro-bench --benchmark_min_time=0.2
//   build-micro/bench/micro/cairn-micro-bench --benchmark_filter='LogAppend|DbOpen'
//
// Disk benchmarks (BM_LogAppendNoSync_Disk, BM_DiskLogAppendSyncPerGroup,
// BM_DbOpen) write under TMPDIR (default /tmp): point TMPDIR at the file
// system to measure. *_Tmpfs variants use /dev/shm. DB open of 100k keys
// prepares its directories once (a few seconds) and runs 5 iterations.
//
// One file per concept: request_codec, frame_decoder, response_codec, text,
// log_append, log_reader, snapshot_read, db_open, hash, shard (*_bench.cc).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  // Recovery logs a few info lines per DB::Open; keep the table readable.
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
