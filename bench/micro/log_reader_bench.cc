// Recovery's log parsing: LogReader over one in-memory segment of 100k PUT
// records (16-byte key, 100-byte value), checksum and decode of every record,
// nothing applied.
#include <benchmark/benchmark.h>

#include "bench/micro/bench_util.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"

namespace cairn::bench {
namespace {

constexpr size_t kRecords = 100000;

std::string Segment() {
  std::string contents = storage::EncodeSegmentHeader(1);
  const std::string value = Value();
  uint64_t version = 0;
  for (const std::string& key : RandomKeys(kRecords)) {
    storage::AppendLogRecord(&contents, ++version, {{false, key, value}});
  }
  return contents;
}

void BM_LogReaderRead(benchmark::State& state) {
  static const std::string contents = Segment();
  for (auto _ : state) {
    storage::LogReader reader(contents);
    uint64_t number = 0;
    if (!reader.ReadHeader(&number).ok()) {
      state.SkipWithError("bad segment header");
      break;
    }
    storage::LogRecord record;
    size_t records = 0;
    while (reader.Next(&record)) ++records;
    if (reader.damaged() || records != kRecords) {
      state.SkipWithError("log reader stopped early");
      break;
    }
  }
  SetRates(state, kRecords, contents.size());
}
BENCHMARK(BM_LogReaderRead)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn::bench
