// libFuzzer target: arbitrary bytes as a log segment. The reader must stop
// at damage without crashing or reading out of bounds, and the torn-tail
// check must terminate.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/log_format.h"
#include "storage/log_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::storage;
  // Most inputs get a valid header, so the fuzzer spends its time on records.
  std::string contents = size > 0 && data[0] % 8 == 0 ? "" : EncodeSegmentHeader(1);
  contents.append(reinterpret_cast<const char*>(data), size);
  LogReader reader(contents);
  uint64_t number = 0;
  if (!reader.ReadHeader(&number).ok()) return 0;
  LogRecord record;
  uint64_t last = 0;
  while (reader.Next(&record)) {
    last = record.version;
    for (const LogOp& op : record.ops) {
      if (op.key.data() < contents.data() ||
          op.key.data() + op.key.size() > contents.data() + contents.size()) {
        __builtin_trap();
      }
    }
  }
  if (reader.damaged()) reader.ValidRecordFollows(last);
  return 0;
}
