#include "storage/log_reader.h"

#include <algorithm>
#include <cassert>

#include "storage/coding.h"

namespace cairn::storage {

Status LogReader::ReadHeader(uint64_t* segment_number, uint32_t* format) {
  assert(offset_ == 0);
  Status s = DecodeSegmentHeader(contents_.substr(0, kSegmentHeaderSize), segment_number, format);
  if (s.ok()) offset_ = kSegmentHeaderSize;
  return s;
}

bool LogReader::RecordAt(uint64_t offset, uint32_t* payload_length, std::string* why) const {
  const uint64_t remaining = contents_.size() - offset;
  if (remaining < kRecordHeaderSize) {
    *why = "truncated record header (" + std::to_string(remaining) + " bytes)";
    return false;
  }
  const char* header = contents_.data() + offset;
  const uint32_t length = DecodeFixed32(header + 8);
  const auto type = static_cast<uint8_t>(header[12]);
  if (type < static_cast<uint8_t>(RecordType::kPut) ||
      type > static_cast<uint8_t>(RecordType::kGroup)) {
    *why = "bad record type " + std::to_string(type);
    return false;
  }
  if (length > kMaxRecordPayload || length > remaining - kRecordHeaderSize) {
    *why = "record length " + std::to_string(length) + " runs past the end of the file";
    return false;
  }
  const std::string_view covered(header + 8, kRecordHeaderSize - 8 + length);
  if (DecodeFixed64(header) != Checksum(covered)) {
    *why = "record checksum mismatch";
    return false;
  }
  *payload_length = length;
  return true;
}

bool LogReader::ZerosFrom(uint64_t offset) const {
  const std::string_view rest = contents_.substr(offset);
  return std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; });
}

bool LogReader::Next(LogRecord* record) {
  assert(offset_ >= kSegmentHeaderSize);
  if (damaged() || offset_ == contents_.size()) return false;
  // A zero checksum field starts the zero tail, or is damage.
  if (contents_.size() - offset_ < 8 || DecodeFixed64(contents_.data() + offset_) == 0) {
    if (ZerosFrom(offset_)) return false;
  }
  uint32_t length = 0;
  std::string why;
  if (!RecordAt(offset_, &length, &why)) {
    damage_ = why;
    return false;
  }
  const char* header = contents_.data() + offset_;
  const auto type = static_cast<RecordType>(header[12]);
  record->version = DecodeFixed64(header + 13);
  if (!DecodeRecordPayload(type, std::string_view(header + kRecordHeaderSize, length), record)) {
    damage_ = "malformed record payload";
    return false;
  }
  offset_ += kRecordHeaderSize + length;
  return true;
}

bool LogReader::ValidRecordFollows(uint64_t after_version) const {
  assert(damaged());
  std::string why;
  for (uint64_t offset = offset_ + 1; offset + kRecordHeaderSize <= contents_.size(); ++offset) {
    // Every record takes at least kRecordHeaderSize bytes and one version, so
    // a later record's version is bounded by what could fit before it; the
    // cheap version test spares the checksum at almost every offset.
    const uint64_t version = DecodeFixed64(contents_.data() + offset + 13);
    const uint64_t max_version = after_version + 1 + offset / kRecordHeaderSize;
    if (version <= after_version || version > max_version) continue;
    uint32_t length = 0;
    if (RecordAt(offset, &length, &why)) return true;
  }
  return false;
}

bool LogReader::DurableClaimPast() const {
  assert(damaged());
  std::string why;
  for (uint64_t offset = offset_ + 1; offset + kGroupRecordSize <= contents_.size(); ++offset) {
    // The type and length bytes rule out almost every offset before the
    // checksum is computed.
    const char* header = contents_.data() + offset;
    if (static_cast<uint8_t>(header[12]) != static_cast<uint8_t>(RecordType::kGroup) ||
        DecodeFixed32(header + 8) != kGroupPayloadSize) {
      continue;
    }
    uint32_t length = 0;
    if (RecordAt(offset, &length, &why) &&
        DecodeFixed64(header + kRecordHeaderSize + 16) > offset_) {
      return true;
    }
  }
  return false;
}

}  // namespace cairn::storage
