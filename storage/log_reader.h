// LogReader: walks the records of one segment held in memory, checking each
// record's checksum and shape (format in log_format.h). It stops at the first
// record that is truncated or damaged and reports where; whether that is a
// torn tail to cut or damage to refuse is the caller's decision (recovery.h),
// helped by DurableClaimPast and ValidRecordFollows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/log_format.h"
#include "storage/status.h"

namespace cairn::storage {

class LogReader {
 public:
  // contents: the whole segment file, header included. Must outlive the reader
  // and every record it returns.
  explicit LogReader(std::string_view contents) : contents_(contents) {}

  // Checks the segment header. REQUIRES: called once, before Next.
  Status ReadHeader(uint64_t* segment_number, uint32_t* format = nullptr);

  // Decodes the next record into *record. False at the end of the segment
  // or at damage; damaged() tells which.
  bool Next(LogRecord* record);

  // Offset just past the last good record (or the header). At the end of an
  // undamaged segment, either its size or where its zero tail begins.
  uint64_t valid_bytes() const { return offset_; }
  bool damaged() const { return !damage_.empty(); }
  // What is wrong at valid_bytes(), when damaged().
  const std::string& damage() const { return damage_; }

  // Whether a record with a correct checksum and a version above
  // after_version starts anywhere past the damage. A crash mid-append leaves
  // nothing valid behind the torn record; damage followed by valid records is
  // not a crash artifact. REQUIRES: damaged().
  bool ValidRecordFollows(uint64_t after_version) const;

  // Whether a valid group record past the damage says the segment was on
  // disk beyond the damage when that group was written: then the damage is
  // in bytes that were synced, not a crash artifact. Unsynced bytes may
  // reach the disk in any order of pages, so valid records after damage
  // alone prove nothing. REQUIRES: damaged().
  bool DurableClaimPast() const;

 private:
  // Whether the file holds only zeros from offset on.
  bool ZerosFrom(uint64_t offset) const;
  // Checks a record header at offset; on success sets *payload_length.
  bool RecordAt(uint64_t offset, uint32_t* payload_length, std::string* why) const;

  std::string_view contents_;
  uint64_t offset_ = 0;
  std::string damage_;
};

}  // namespace cairn::storage
