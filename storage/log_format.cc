#include "storage/log_format.h"

#include <cassert>
#include <charconv>
#include <cstdio>

#include "storage/coding.h"

namespace cairn::storage {

namespace {

constexpr std::string_view kSegmentPrefix = "log-";
constexpr std::string_view kSegmentSuffix = ".wal";
constexpr size_t kSegmentDigits = 20;

}  // namespace

std::string SegmentFileName(uint64_t segment_number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "log-%020llu.wal",
                static_cast<unsigned long long>(segment_number));
  return buf;
}

bool ParseSegmentFileName(std::string_view name, uint64_t* segment_number) {
  if (name.size() != kSegmentPrefix.size() + kSegmentDigits + kSegmentSuffix.size() ||
      !name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) {
    return false;
  }
  std::string_view digits = name.substr(kSegmentPrefix.size(), kSegmentDigits);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *segment_number);
  return ec == std::errc() && end == digits.data() + digits.size();
}

std::string EncodeSegmentHeader(uint64_t segment_number) {
  std::string header(kLogMagic);
  PutFixed32(&header, kLogFormatVersion);
  PutFixed32(&header, 0);
  PutFixed64(&header, segment_number);
  PutFixed64(&header, Checksum(header));
  assert(header.size() == kSegmentHeaderSize);
  return header;
}

Status DecodeSegmentHeader(std::string_view header, uint64_t* segment_number,
                           uint32_t* format_out) {
  if (header.size() < kSegmentHeaderSize) {
    return Status::Corruption("segment header is short (" + std::to_string(header.size()) +
                              " bytes)");
  }
  if (header.substr(0, kLogMagic.size()) != kLogMagic) {
    return Status::Corruption("bad segment magic");
  }
  if (DecodeFixed64(header.data() + 24) != Checksum(header.substr(0, 24))) {
    return Status::Corruption("segment header checksum mismatch");
  }
  uint32_t format = DecodeFixed32(header.data() + 8);
  if (format < kOldestLogFormatVersion || format > kLogFormatVersion) {
    return Status::Corruption("unsupported log format version " + std::to_string(format));
  }
  if (format_out) *format_out = format;
  *segment_number = DecodeFixed64(header.data() + 16);
  return Status::OK();
}

namespace {

void SealRecord(char* header, RecordType type, size_t payload, uint64_t version) {
  assert(payload <= kMaxRecordPayload);
  EncodeFixed32(header + 8, static_cast<uint32_t>(payload));
  header[12] = static_cast<char>(type);
  EncodeFixed64(header + 13, version);
  EncodeFixed64(header, Checksum(std::string_view(header + 8, kRecordHeaderSize - 8 + payload)));
}

}  // namespace

void EncodeGroupRecord(char* dst, uint64_t prev_version, const GroupInfo& group) {
  assert(group.base >= prev_version);
  EncodeFixed64(dst + kRecordHeaderSize, group.base);
  EncodeFixed64(dst + kRecordHeaderSize + 8, group.ceiling);
  EncodeFixed64(dst + kRecordHeaderSize + 16, group.durable_bytes);
  SealRecord(dst, RecordType::kGroup, kGroupPayloadSize, prev_version);
}

void AppendLogRecord(std::string* dst, uint64_t version, const std::vector<LogOp>& ops) {
  assert(!ops.empty());
  const size_t start = dst->size();
  dst->append(kRecordHeaderSize, '\0');
  RecordType type;
  if (ops.size() == 1 && ops[0].is_delete) {
    type = RecordType::kDelete;
    dst->append(ops[0].key);
  } else if (ops.size() == 1) {
    type = RecordType::kPut;
    PutLengthPrefixed(dst, ops[0].key);
    dst->append(ops[0].value);
  } else {
    type = RecordType::kBatch;
    PutFixed32(dst, static_cast<uint32_t>(ops.size()));
    for (const LogOp& op : ops) {
      dst->push_back(static_cast<char>(op.is_delete ? RecordType::kDelete : RecordType::kPut));
      PutLengthPrefixed(dst, op.key);
      PutLengthPrefixed(dst, op.value);
    }
  }
  SealRecord(dst->data() + start, type, dst->size() - start - kRecordHeaderSize, version);
}

bool DecodeRecordPayload(RecordType type, std::string_view payload, LogRecord* record) {
  record->ops.clear();
  record->is_group = false;
  switch (type) {
    case RecordType::kGroup:
      if (payload.size() != kGroupPayloadSize) return false;
      record->is_group = true;
      record->group.base = DecodeFixed64(payload.data());
      record->group.ceiling = DecodeFixed64(payload.data() + 8);
      record->group.durable_bytes = DecodeFixed64(payload.data() + 16);
      return record->group.base >= record->version;
    case RecordType::kDelete:
      record->ops.push_back(LogOp{true, payload, {}});
      return true;
    case RecordType::kPut: {
      std::string_view key;
      if (!GetLengthPrefixed(&payload, &key)) return false;
      record->ops.push_back(LogOp{false, key, payload});
      return true;
    }
    case RecordType::kBatch: {
      uint32_t count = 0;
      if (!GetFixed32(&payload, &count) || count == 0) return false;
      for (uint32_t i = 0; i < count; ++i) {
        if (payload.empty()) return false;
        const auto op_type = static_cast<RecordType>(payload[0]);
        payload.remove_prefix(1);
        if (op_type != RecordType::kPut && op_type != RecordType::kDelete) return false;
        LogOp op;
        op.is_delete = op_type == RecordType::kDelete;
        if (!GetLengthPrefixed(&payload, &op.key) || !GetLengthPrefixed(&payload, &op.value)) {
          return false;
        }
        if (op.is_delete && !op.value.empty()) return false;
        record->ops.push_back(op);
      }
      return payload.empty();
    }
  }
  return false;
}

}  // namespace cairn::storage
