// libFuzzer target: arbitrary bytes as a snapshot file. Parsing must fail
// cleanly on anything malformed; entries are visited only after the
// checksum matched. Half the inputs get a correct checksum appended, so the
// entry parser is reached.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/coding.h"
#include "storage/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::storage;
  std::string contents(reinterpret_cast<const char*>(data), size);
  if (size > 0 && data[0] % 2 == 0) {
    contents.replace(0, std::min(contents.size(), kSnapshotMagic.size()), kSnapshotMagic);
    PutFixed64(&contents, Checksum(contents));
  }
  SnapshotInfo info;
  uint64_t bytes = 0;
  ReadSnapshot(contents, &info, [&](std::string_view key, std::string_view value, uint64_t) {
    bytes += key.size() + value.size();
  });
  if (bytes > contents.size()) __builtin_trap();
  return 0;
}
