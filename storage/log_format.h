// The write-ahead log's on-disk format. All integers little-endian.
//
// A log is a sequence of segment files named log-<segment number, 20 decimal
// digits>.wal. Each starts with a 32-byte header:
//   0  magic     8  "CAIRNWAL"
//   8  format    4  u32, kLogFormatVersion (2; format 1 segments, which
//                   hold no group records, are still read)
//   12 reserved  4  zero
//   16 segment   8  u64, the segment number (equal to the one in the name)
//   24 checksum  8  XXH3-64 of bytes [0, 24)
// followed by records, each a 21-byte header and a payload:
//   0  checksum  8  XXH3-64 of bytes [8, 21 + length): the rest of the header
//                   and the payload
//   8  length    4  u32, payload bytes (at most kMaxRecordPayload)
//   12 type      1  1 put, 2 delete, 3 batch, 4 group
//   13 version   8  u64, the sequence number this write committed as; for a
//                   group record, the version of the record before it
//   21 payload
// Payloads:
//   put     u32 key length, key, value (the rest of the payload)
//   delete  key (the whole payload)
//   batch   u32 op count (> 0), then per op: u8 type (1 put, 2 delete),
//           u32 key length, key, u32 value length, value (empty for delete)
//   group   u64 base: the records that follow have versions base + 1,
//               base + 2, ... (base >= the header's version: the versions
//               in between were void, reserved before a crash)
//           u64 ceiling: no version above it was handed out before a later
//               group record, synced, raised it
//           u64 durable bytes: this segment was on disk up to here when the
//               group was written (recovery: damage below it is not a torn
//               write)
// Each append of the writer (a commit group) and each new segment starts
// with a group record. Versions grow by exactly one from record to record,
// across segments, except where a group record's base skips ahead.
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
inline constexpr uint32_t kLogFormatVersion = 2;
inline constexpr uint32_t kOldestLogFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kRecordHeaderSize = 21;
inline constexpr uint32_t kMaxRecordPayload = 1u << 30;
inline constexpr size_t kGroupPayloadSize = 24;
inline constexpr size_t kGroupRecordSize = kRecordHeaderSize + kGroupPayloadSize;

enum class RecordType : uint8_t { kPut = 1, kDelete = 2, kBatch = 3, kGroup = 4 };

// One put or delete, viewing bytes owned elsewhere.
struct LogOp {
  bool is_delete = false;
  std::string_view key;
  std::string_view value;
};

// What a group record says (format above).
struct GroupInfo {
  uint64_t base = 0;
  uint64_t ceiling = 0;
  uint64_t durable_bytes = 0;
};

struct LogRecord {
  uint64_t version = 0;
  std::vector<LogOp> ops;  // views into the buffer the record was decoded from
  bool is_group = false;   // then ops is empty and group holds the payload
  GroupInfo group;
};

std::string SegmentFileName(uint64_t segment_number);
// True (and *segment_number set) when name is a segment file name.
bool ParseSegmentFileName(std::string_view name, uint64_t* segment_number);

std::string EncodeSegmentHeader(uint64_t segment_number);
// Validates a segment header and returns its segment number and format.
Status DecodeSegmentHeader(std::string_view header, uint64_t* segment_number,
                           uint32_t* format = nullptr);

// Appends the record for ops at version to *dst: a put or delete record for
// one op, a batch record otherwise. REQUIRES: !ops.empty().
void AppendLogRecord(std::string* dst, uint64_t version, const std::vector<LogOp>& ops);

// Writes the group record whose header version is prev_version into the
// kGroupRecordSize bytes at dst.
void EncodeGroupRecord(char* dst, uint64_t prev_version, const GroupInfo& group);

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
