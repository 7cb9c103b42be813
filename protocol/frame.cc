// Wire format of a frame (all integers big-endian):
//
//   offset  size  field
//   0       1     magic: 0xCA request, 0xCB response
//   1       1     protocol version: 0x01
//   2       1     code: opcode (request) or status (response)
//   3       1     flags: 0
//   4       4     request id, chosen by the client, echoed in the response
//   8       4     body length: bytes that follow the header
//
// body := field*          (the fields fill the body exactly)
// field := u32 length, then that many raw bytes
//
// Integer fields: u8 is 1 byte, u32 4 bytes, u64 8 bytes, i64 8 bytes two's
// complement.
#include "protocol/frame.h"

#include <cassert>
#include <limits>

namespace cairn::protocol {

namespace {

// Appends the `width` low-order bytes of value, most significant first.
void AppendBigEndian(std::string* out, uint64_t value, size_t width) {
  for (size_t i = width; i > 0; --i) {
    out->push_back(static_cast<char>((value >> (8 * (i - 1))) & 0xFF));
  }
}

// REQUIRES: width <= 8 and bytes.size() >= width.
uint64_t ReadBigEndian(std::string_view bytes, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  }
  return value;
}

template <typename T>
std::string EncodeExact(T value) {
  std::string out;
  AppendBigEndian(&out, static_cast<uint64_t>(value), sizeof(T));
  return out;
}

template <typename T>
std::optional<T> DecodeExact(std::string_view field) {
  if (field.size() != sizeof(T)) return std::nullopt;
  return static_cast<T>(ReadBigEndian(field, sizeof(T)));
}

}  // namespace

void AppendHeader(std::string* out, const FrameHeader& header) {
  out->push_back(static_cast<char>(header.magic));
  out->push_back(static_cast<char>(header.version));
  out->push_back(static_cast<char>(header.code));
  out->push_back(static_cast<char>(header.flags));
  AppendBigEndian(out, header.request_id, 4);
  AppendBigEndian(out, header.body_length, 4);
}

FrameHeader DecodeHeader(std::string_view bytes) {
  assert(bytes.size() >= kHeaderSize);
  FrameHeader header;
  header.magic = static_cast<uint8_t>(bytes[0]);
  header.version = static_cast<uint8_t>(bytes[1]);
  header.code = static_cast<uint8_t>(bytes[2]);
  header.flags = static_cast<uint8_t>(bytes[3]);
  header.request_id = static_cast<uint32_t>(ReadBigEndian(bytes.substr(4), 4));
  header.body_length = static_cast<uint32_t>(ReadBigEndian(bytes.substr(8), 4));
  return header;
}

void AppendField(std::string* out, std::string_view field) {
  assert(field.size() <= std::numeric_limits<uint32_t>::max());
  AppendBigEndian(out, field.size(), kFieldLengthSize);
  out->append(field);
}

void AppendFrame(std::string* out, uint8_t magic, uint8_t code, uint32_t request_id,
                 std::span<const std::string_view> fields) {
  size_t body_length = 0;
  for (std::string_view field : fields) body_length += FieldSize(field);
  assert(body_length <= std::numeric_limits<uint32_t>::max());
  AppendHeader(out, FrameHeader{.magic = magic,
                                .version = kProtocolVersion,
                                .code = code,
                                .flags = 0,
                                .request_id = request_id,
                                .body_length = static_cast<uint32_t>(body_length)});
  for (std::string_view field : fields) AppendField(out, field);
}

namespace {

// Calls visit(field) for each field of body in order; fails (BAD_REQUEST)
// as SplitFields documents, after visiting the fields before the fault.
template <typename Visit>
std::optional<Error> WalkFields(std::string_view body, Visit visit) {
  size_t count = 0;
  while (!body.empty()) {
    if (body.size() < kFieldLengthSize) {
      return Error{StatusCode::kBadRequest, "body ends with " + std::to_string(body.size()) +
                                                " stray byte(s), too few for a field length"};
    }
    uint64_t length = ReadBigEndian(body, kFieldLengthSize);
    body.remove_prefix(kFieldLengthSize);
    if (length > body.size()) {
      return Error{StatusCode::kBadRequest,
                   "field " + std::to_string(count + 1) + " declares " + std::to_string(length) +
                       " bytes but only " + std::to_string(body.size()) + " remain in the body"};
    }
    visit(body.substr(0, length));
    ++count;
    body.remove_prefix(length);
  }
  return std::nullopt;
}

}  // namespace

Result<size_t> CountFields(std::string_view body) {
  size_t count = 0;
  if (auto error = WalkFields(body, [&count](std::string_view) { ++count; })) return *error;
  return count;
}

Result<std::vector<std::string_view>> SplitFields(std::string_view body, size_t count_hint) {
  std::vector<std::string_view> fields;
  fields.reserve(count_hint);
  if (auto error = WalkFields(body, [&fields](std::string_view f) { fields.push_back(f); })) {
    return *error;
  }
  return fields;
}

std::string EncodeU8(uint8_t value) { return EncodeExact(value); }
std::string EncodeU32(uint32_t value) { return EncodeExact(value); }
std::string EncodeU64(uint64_t value) { return EncodeExact(value); }
std::string EncodeI64(int64_t value) { return EncodeExact(value); }

std::optional<uint8_t> DecodeU8(std::string_view field) { return DecodeExact<uint8_t>(field); }
std::optional<uint32_t> DecodeU32(std::string_view field) { return DecodeExact<uint32_t>(field); }
std::optional<uint64_t> DecodeU64(std::string_view field) { return DecodeExact<uint64_t>(field); }
std::optional<int64_t> DecodeI64(std::string_view field) { return DecodeExact<int64_t>(field); }

}  // namespace cairn::protocol
