#include "protocol/request.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame.h"

namespace cairn::protocol {
namespace {

using namespace std::literals;

std::string AllBytes() {
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
  return bytes;
}

// Encodes request and parses the frame back.
Result<Request> RoundTrip(const Request& request, const Limits& limits = Limits()) {
  std::string frame;
  EncodeRequest(request, &frame);
  FrameHeader header = DecodeHeader(frame);
  EXPECT_EQ(header.magic, kRequestMagic);
  EXPECT_EQ(header.version, kProtocolVersion);
  EXPECT_EQ(header.flags, 0);
  EXPECT_EQ(header.body_length, frame.size() - kHeaderSize);
  return ParseRequest(header, std::string_view(frame).substr(kHeaderSize), limits);
}

// Parses a hand-built request.
Result<Request> Parse(uint8_t code, std::vector<std::string_view> fields,
                      const Limits& limits = Limits(), uint8_t flags = 0) {
  std::string frame;
  AppendFrame(&frame, kRequestMagic, code, 99, fields);
  FrameHeader header = DecodeHeader(frame);
  header.flags = flags;
  return ParseRequest(header, std::string_view(frame).substr(kHeaderSize), limits);
}

Result<Request> Parse(Opcode opcode, std::vector<std::string_view> fields,
                      const Limits& limits = Limits()) {
  return Parse(static_cast<uint8_t>(opcode), std::move(fields), limits);
}

void ExpectError(const Result<Request>& result, StatusCode status, std::string_view message) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().status, status);
  EXPECT_EQ(result.error().message, message);
}

std::vector<Request> OneOfEachOpcode() {
  std::vector<Request> requests;
  auto add = [&](Opcode opcode) -> Request& {
    requests.emplace_back();
    requests.back().opcode = opcode;
    requests.back().request_id = static_cast<uint32_t>(requests.size() * 0x01010101);
    return requests.back();
  };
  add(Opcode::kPing);
  add(Opcode::kPing).ping_payload = "hello\0"s;
  add(Opcode::kPing).ping_payload = "";
  add(Opcode::kGet).key = "k";
  Request& put = add(Opcode::kPut);
  put.key = "key";
  put.value = "value";
  add(Opcode::kDelete).key = "gone";
  Request& conditional_delete = add(Opcode::kDelete);
  conditional_delete.key = "gone";
  conditional_delete.has_expected_version = true;
  conditional_delete.expected_version = 0xFFFFFFFFFFFFFFFF;
  Request& cas = add(Opcode::kCas);
  cas.key = "c";
  cas.has_expected_version = true;
  cas.expected_version = 0;
  cas.value = "new";
  Request& batch = add(Opcode::kBatch);
  batch.batch = {{false, "a", "1"}, {true, "b", ""}, {false, "", ""}};
  Request& scan = add(Opcode::kScan);
  scan.start = "a";
  scan.end = "";
  scan.limit = 100;
  Request& incr = add(Opcode::kIncr);
  incr.key = "n";
  incr.delta = std::numeric_limits<int64_t>::min();
  add(Opcode::kStats);
  add(Opcode::kAuth).token = "s3cret";
  add(Opcode::kSnapshot);
  return requests;
}

TEST(RequestTest, EveryOpcodeRoundTrips) {
  std::vector<Request> requests = OneOfEachOpcode();
  for (int code = 1; code <= 0x0B; ++code) {
    bool covered = false;
    for (const Request& r : requests) covered |= static_cast<int>(r.opcode) == code;
    EXPECT_TRUE(covered) << "opcode " << code;
  }
  for (const Request& request : requests) {
    Result<Request> parsed = RoundTrip(request);
    ASSERT_TRUE(parsed.ok()) << OpcodeName(request.opcode) << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value(), request) << OpcodeName(request.opcode);
  }
}

TEST(RequestTest, EncodingIsExactlyTheDocumentedFields) {
  Request cas;
  cas.opcode = Opcode::kCas;
  cas.request_id = 0x0A0B0C0D;
  cas.key = "k";
  cas.has_expected_version = true;
  cas.expected_version = 7;
  cas.value = "v";
  std::string frame;
  EncodeRequest(cas, &frame);
  EXPECT_EQ(frame,
            "\xCA\x01\x05\x00\x0A\x0B\x0C\x0D\x00\x00\x00\x16"
            "\x00\x00\x00\x01k"
            "\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x07"
            "\x00\x00\x00\x01v"s);

  Request batch;
  batch.opcode = Opcode::kBatch;
  batch.batch = {{true, "d", ""}};
  frame.clear();
  EncodeRequest(batch, &frame);
  EXPECT_EQ(frame.substr(kHeaderSize),
            "\x00\x00\x00\x01\x04"
            "\x00\x00\x00\x01"
            "d"
            "\x00\x00\x00\x00"s);
}

TEST(RequestTest, BinarySafeKeysAndValuesRoundTrip) {
  for (const std::string& bytes :
       {""s, "\0"s, "\r\n"s, "\xFF"s, "a\0b"s, "\xC3\x28"s, AllBytes()}) {
    Request put;
    put.opcode = Opcode::kPut;
    put.key = bytes;
    put.value = bytes + bytes;
    Result<Request> parsed = RoundTrip(put);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value().key, bytes);
    EXPECT_EQ(parsed.value().value, bytes + bytes);
  }
}

TEST(RequestTest, NonZeroFlagsAreBadRequest) {
  ExpectError(Parse(0x02, {"k"}, Limits(), 0x01), StatusCode::kBadRequest,
              "flags must be 0, got 0x01");
  ExpectError(Parse(0x02, {"k"}, Limits(), 0x80), StatusCode::kBadRequest,
              "flags must be 0, got 0x80");
}

TEST(RequestTest, UnknownOpcodes) {
  for (int code = 0; code < 256; ++code) {
    if (IsKnownOpcode(static_cast<uint8_t>(code))) continue;
    Result<Request> result = Parse(static_cast<uint8_t>(code), {"whatever"});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().status, StatusCode::kUnknownOpcode) << code;
  }
  ExpectError(Parse(0x0C, {}), StatusCode::kUnknownOpcode, "unknown opcode 0x0c");
}

TEST(RequestTest, UnknownOpcodeWinsOverABrokenBody) {
  FrameHeader header{.magic = kRequestMagic, .code = 0x42, .body_length = 2};
  ExpectError(ParseRequest(header, "\x00\x01", Limits()), StatusCode::kUnknownOpcode,
              "unknown opcode 0x42");
}

TEST(RequestTest, FieldsMustFillTheBodyExactly) {
  FrameHeader header{.magic = kRequestMagic, .code = 0x02, .body_length = 7};
  // Overrun: the key declares 4 bytes, 3 follow.
  ExpectError(ParseRequest(header,
                           "\x00\x00\x00\x04"
                           "abc"sv,
                           Limits()),
              StatusCode::kBadRequest, "field 1 declares 4 bytes but only 3 remain in the body");
  // Underrun: 2 bytes after the key cannot hold a length.
  header.body_length = 8;
  ExpectError(ParseRequest(header,
                           "\x00\x00\x00\x02"
                           "ab"
                           "\x00\x00"sv,
                           Limits()),
              StatusCode::kBadRequest,
              "body ends with 2 stray byte(s), too few for a field length");
}

TEST(RequestTest, WrongFieldCounts) {
  ExpectError(Parse(Opcode::kPing, {"a", "b"}), StatusCode::kBadRequest,
              "PING expects none or [payload], got 2 field(s)");
  ExpectError(Parse(Opcode::kGet, {}), StatusCode::kBadRequest,
              "GET expects [key], got 0 field(s)");
  ExpectError(Parse(Opcode::kGet, {"a", "b"}), StatusCode::kBadRequest,
              "GET expects [key], got 2 field(s)");
  ExpectError(Parse(Opcode::kPut, {"k"}), StatusCode::kBadRequest,
              "PUT expects [key, value], got 1 field(s)");
  ExpectError(Parse(Opcode::kDelete, {"k", EncodeU64(1), "x"}), StatusCode::kBadRequest,
              "DELETE expects [key] or [key, expected version u64], got 3 field(s)");
  ExpectError(Parse(Opcode::kCas, {"k", EncodeU64(1)}), StatusCode::kBadRequest,
              "CAS expects [key, expected version u64, value], got 2 field(s)");
  ExpectError(Parse(Opcode::kScan, {"a", "b"}), StatusCode::kBadRequest,
              "SCAN expects [start key, end key, limit u32], got 2 field(s)");
  ExpectError(Parse(Opcode::kIncr, {"k"}), StatusCode::kBadRequest,
              "INCR expects [key, delta i64], got 1 field(s)");
  ExpectError(Parse(Opcode::kStats, {""}), StatusCode::kBadRequest,
              "STATS expects no fields, got 1 field(s)");
  ExpectError(Parse(Opcode::kAuth, {}), StatusCode::kBadRequest,
              "AUTH expects [token], got 0 field(s)");
  ExpectError(Parse(Opcode::kSnapshot, {"x"}), StatusCode::kBadRequest,
              "SNAPSHOT expects no fields, got 1 field(s)");
}

TEST(RequestTest, WrongIntegerWidths) {
  ExpectError(Parse(Opcode::kDelete, {"k", EncodeU32(1)}), StatusCode::kBadRequest,
              "DELETE expected version must be a field of exactly 8 bytes (u64), got 4");
  ExpectError(Parse(Opcode::kCas, {"k", "", "v"}), StatusCode::kBadRequest,
              "CAS expected version must be a field of exactly 8 bytes (u64), got 0");
  ExpectError(Parse(Opcode::kScan, {"a", "b", EncodeU64(1)}), StatusCode::kBadRequest,
              "SCAN limit must be a field of exactly 4 bytes (u32), got 8");
  ExpectError(Parse(Opcode::kIncr, {"k", "1"}), StatusCode::kBadRequest,
              "INCR delta must be a field of exactly 8 bytes (i64), got 1");
  ExpectError(Parse(Opcode::kIncr, {"k", std::string(9, '\0')}), StatusCode::kBadRequest,
              "INCR delta must be a field of exactly 8 bytes (i64), got 9");
}

TEST(RequestTest, BadBatches) {
  ExpectError(Parse(Opcode::kBatch, {}), StatusCode::kBadRequest,
              "BATCH is empty; it needs at least one operation");
  ExpectError(Parse(Opcode::kBatch, {"\x03", "k", "v", "\x03"}), StatusCode::kBadRequest,
              "BATCH expects triples [op u8, key, value], got 4 fields");
  ExpectError(Parse(Opcode::kBatch, {"\x03", "k", "v", "\x05", "k", "v"}), StatusCode::kBadRequest,
              "BATCH operation 2: the op field must be one byte, 0x03 (put) or 0x04 (delete)");
  ExpectError(Parse(Opcode::kBatch, {"\x00\x03"sv, "k", "v"}), StatusCode::kBadRequest,
              "BATCH operation 1: the op field must be one byte, 0x03 (put) or 0x04 (delete)");
  ExpectError(Parse(Opcode::kBatch, {"", "k", "v"}), StatusCode::kBadRequest,
              "BATCH operation 1: the op field must be one byte, 0x03 (put) or 0x04 (delete)");
  ExpectError(Parse(Opcode::kBatch, {"\x04", "k", "v"}), StatusCode::kBadRequest,
              "BATCH operation 1 is a delete with a 1-byte value; a delete's value must be empty");
}

TEST(RequestTest, BatchOfMoreThanTheOperationLimitIsRefusedBeforeItsOpsAreRead) {
  // Empty fields: 4 bytes each, so 300,003 of them are 1.2 MB of body.
  std::vector<std::string_view> fields(3 * kMaxBatchOps + 3);
  ExpectError(Parse(Opcode::kBatch, fields), StatusCode::kBadRequest,
              "BATCH holds 300003 fields; at most 100000 operations (triples) are allowed");
  for (size_t i = 0; i < 3 * kMaxBatchOps; i += 3) fields[i] = "\x04";
  fields.resize(3 * kMaxBatchOps);
  Result<Request> at_limit = Parse(Opcode::kBatch, fields);
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
  EXPECT_EQ(at_limit.value().batch.size(), kMaxBatchOps);
}

TEST(RequestTest, BatchOpsParse) {
  Result<Request> parsed =
      Parse(Opcode::kBatch, {"\x03", "a", "1", "\x04", "b", "", "\x03", "a", "2"});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const std::vector<BatchOp> expected = {{false, "a", "1"}, {true, "b", ""}, {false, "a", "2"}};
  EXPECT_EQ(parsed.value().batch, expected);
  EXPECT_EQ(parsed.value().request_id, 99u);
}

TEST(RequestTest, KeysAndValuesOverTheLimitsAreTooLarge) {
  Limits limits;
  limits.max_key_bytes = 4;
  limits.max_value_bytes = 8;
  const std::string key_at(4, 'k'), key_over(5, 'k');
  const std::string value_at(8, 'v'), value_over(9, 'v');
  const std::string key_error = "key is 5 bytes, over max_key_bytes 4";
  const std::string value_error = "value is 9 bytes, over max_value_bytes 8";

  EXPECT_TRUE(Parse(Opcode::kPut, {key_at, value_at}, limits).ok());
  ExpectError(Parse(Opcode::kGet, {key_over}, limits), StatusCode::kTooLarge, key_error);
  ExpectError(Parse(Opcode::kPut, {key_over, ""}, limits), StatusCode::kTooLarge, key_error);
  ExpectError(Parse(Opcode::kPut, {key_at, value_over}, limits), StatusCode::kTooLarge,
              value_error);
  ExpectError(Parse(Opcode::kDelete, {key_over}, limits), StatusCode::kTooLarge, key_error);
  ExpectError(Parse(Opcode::kCas, {key_at, EncodeU64(1), value_over}, limits),
              StatusCode::kTooLarge, value_error);
  ExpectError(Parse(Opcode::kIncr, {key_over, EncodeI64(1)}, limits), StatusCode::kTooLarge,
              key_error);
  ExpectError(Parse(Opcode::kBatch, {"\x03", key_at, value_at, "\x04", key_over, ""}, limits),
              StatusCode::kTooLarge, key_error);
  ExpectError(Parse(Opcode::kBatch, {"\x03", key_at, value_over}, limits), StatusCode::kTooLarge,
              value_error);
}

TEST(RequestTest, ScanBoundsPingAndTokenAreNotKeys) {
  Limits limits;
  limits.max_key_bytes = 4;
  limits.max_value_bytes = 4;
  // A continuation start (last key + 0x00) is one byte over the key limit.
  EXPECT_TRUE(Parse(Opcode::kScan, {"kkkk\0"sv, "zzzzzz", EncodeU32(0)}, limits).ok());
  EXPECT_TRUE(Parse(Opcode::kPing, {"a long payload"}, limits).ok());
  EXPECT_TRUE(Parse(Opcode::kAuth, {"a long token"}, limits).ok());
}

TEST(RequestTest, DefaultLimitsAreTheDocumentedOnes) {
  const Limits limits;
  EXPECT_EQ(limits.max_key_bytes, 65536u);
  EXPECT_EQ(limits.max_value_bytes, 16777216u);
  EXPECT_EQ(limits.max_frame_bytes, 33554432u);
  const std::string key(65536, 'k');
  EXPECT_TRUE(Parse(Opcode::kGet, {key}).ok());
  ExpectError(Parse(Opcode::kGet, {key + "k"}), StatusCode::kTooLarge,
              "key is 65537 bytes, over max_key_bytes 65536");
}

TEST(RequestTest, StructureErrorsComeBeforeLimitErrors) {
  Limits limits;
  limits.max_key_bytes = 1;
  ExpectError(Parse(Opcode::kDelete, {"long key", "short"}, limits), StatusCode::kBadRequest,
              "DELETE expected version must be a field of exactly 8 bytes (u64), got 5");
}

}  // namespace
}  // namespace cairn::protocol
