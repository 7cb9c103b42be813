// The write-ahead log's on-disk format. All integers little-endian.
//
// A log is a sequence of segment files named log-<segment number, 20 decimal
// digits>.wal. Each starts with a 32-byte header:
//   0  magic     8  "CAIRNWAL"
//   8  format    4  u32, kLogFormatVersion
//   12 reserved  4  zero
//   16 segment   8  u64, the segment number (equal to the one in the name)
//   24 checksum  8  XXH3-64 of bytes [0, 24)
// followed by records, each a 21-byte header and a payload:
//   0  checksum  8  XXH3-64 of bytes [8, 21 + length): the rest of the header
//                   and the payload
//   8  length    4  u32, payload bytes (at most kMaxRecordPayload)
//   12 type      1  1 put, 2 delete, 3 batch
//   13 version   8  u64, the sequence number this write committed as
//   21 payload
// Payloads:
//   put     u32 key length, key, value (the rest of the payload)
//   delete  key (the whole payload)
//   batch   u32 op count (> 0), then per op: u8 type (1 put, 2 delete),
//           u32 key length, key, u32 value length, value (empty for delete)
// Versions grow by exactly one from record to record, across segments.
// The writer writes zeros ahead of its appends (log_writer.h), so a segment
// may end in zeros: zeros from a record boundary to the end of the file are
// the end of the segment, not damage (a record's checksum field is never
// all zeros but once in 2^64).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace cairn::storage {

inline constexpr std::string_view kLogMagic = "CAIRNWAL";
inline constexpr uint32_t kLogFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kRecordHeaderSize = 21;
inline constexpr uint32_t kMaxRecordPayload = 1u << 30;

enum class RecordType : uint8_t { kPut = 1, kDelete = 2, kBatch = 3 };

// One put or delete, viewing bytes owned elsewhere.
struct LogOp {
  bool is_delete = false;
  std::string_view key;
  std::string_view value;
};

struct LogRecord {
  uint64_t version = 0;
  std::vector<LogOp> ops;  // views into the buffer the record was decoded from
};

std::string SegmentFileName(uint64_t segment_number);
// True (and *segment_number set) when name is a segment file name.
bool ParseSegmentFileName(std::string_view name, uint64_t* segment_number);

std::string EncodeSegmentHeader(uint64_t segment_number);
// Validates a segment header and returns its segment number.
Status DecodeSegmentHeader(std::string_view header, uint64_t* segment_number);

// Appends the record for ops at version to *dst: a put or delete record for
// one op, a batch record otherwise. REQUIRES: !ops.empty().
void AppendLogRecord(std::string* dst, uint64_t version, const std::vector<LogOp>& ops);

// At least the bytes AppendLogRecord appends for op_count ops whose keys and
// values hold data_bytes in all (header, then a u32 key length or op count,
// then per batch op a type byte and two u32 lengths).
inline constexpr size_t LogRecordBytesBound(size_t op_count, size_t data_bytes) {
  return kRecordHeaderSize + 4 + 9 * op_count + data_bytes;
}

// Decodes a payload of the given type into record->ops; false when the
// payload is malformed.
bool DecodeRecordPayload(RecordType type, std::string_view payload, LogRecord* record);

}  // namespace cairn::storage
