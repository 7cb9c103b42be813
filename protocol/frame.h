// Frames of the Cairn wire protocol, version 1 (docs/protocol.md section 2): the
// 12-byte big-endian header, whose code byte is an Opcode or a StatusCode
// (codes.h), and bodies made of u32-length-prefixed fields. Pure functions
// over bytes. Integer fields have an exact width; a field of any other width
// does not decode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/codes.h"
#include "protocol/result.h"

namespace cairn::protocol {

inline constexpr uint8_t kRequestMagic = 0xCA;
inline constexpr uint8_t kResponseMagic = 0xCB;
inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr size_t kHeaderSize = 12;
// Bytes of the u32 length in front of every field.
inline constexpr size_t kFieldLengthSize = 4;

struct FrameHeader {
  uint8_t magic = 0;
  uint8_t version = kProtocolVersion;
  uint8_t code = 0;  // an Opcode in a request, a StatusCode in a response
  uint8_t flags = 0;
  uint32_t request_id = 0;
  uint32_t body_length = 0;

  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

// Appends the kHeaderSize bytes of header.
void AppendHeader(std::string* out, const FrameHeader& header);
// REQUIRES: bytes.size() >= kHeaderSize. Reads the first kHeaderSize bytes.
FrameHeader DecodeHeader(std::string_view bytes);

// Appends one field: its u32 length, then its bytes.
// REQUIRES: field.size() < 2^32.
void AppendField(std::string* out, std::string_view field);
// Bytes a field occupies in a body, length prefix included.
inline size_t FieldSize(std::string_view field) { return kFieldLengthSize + field.size(); }

// Appends a whole frame (protocol version kProtocolVersion, flags 0): the
// header, with body_length computed, then every field.
// REQUIRES: the encoded fields total less than 2^32 bytes.
void AppendFrame(std::string* out, uint8_t magic, uint8_t code, uint32_t request_id,
                 std::span<const std::string_view> fields);

// Splits a body into its fields, which view body. Fails (BAD_REQUEST) when
// the fields do not fill the body exactly: a length runs past the end, or
// fewer than kFieldLengthSize bytes are left over after the last field.
// count_hint: the number of fields expected (the vector reserves it).
Result<std::vector<std::string_view>> SplitFields(std::string_view body, size_t count_hint = 4);
// The number of fields SplitFields would return, without storing them, or
// its error.
Result<size_t> CountFields(std::string_view body);

// Integer fields, big-endian, exact width: u32 is 4 bytes, u64 and i64 are 8
// (i64 in two's complement), u8 is 1.
std::string EncodeU8(uint8_t value);
std::string EncodeU32(uint32_t value);
std::string EncodeU64(uint64_t value);
std::string EncodeI64(int64_t value);
// nullopt unless field has exactly the width of the type.
std::optional<uint8_t> DecodeU8(std::string_view field);
std::optional<uint32_t> DecodeU32(std::string_view field);
std::optional<uint64_t> DecodeU64(std::string_view field);
std::optional<int64_t> DecodeI64(std::string_view field);

}  // namespace cairn::protocol
