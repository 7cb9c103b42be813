#include "protocol/frame.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::protocol {
namespace {

using namespace std::literals;

TEST(CodesTest, StatusNamesMatchTheProtocolTable) {
  const std::vector<std::pair<StatusCode, std::string_view>> table = {
      {StatusCode::kOk, "OK"},
      {StatusCode::kNotFound, "NOT_FOUND"},
      {StatusCode::kVersionMismatch, "VERSION_MISMATCH"},
      {StatusCode::kBadRequest, "BAD_REQUEST"},
      {StatusCode::kUnknownOpcode, "UNKNOWN_OPCODE"},
      {StatusCode::kTooLarge, "TOO_LARGE"},
      {StatusCode::kTypeError, "TYPE_ERROR"},
      {StatusCode::kUnauthorized, "UNAUTHORIZED"},
      {StatusCode::kIoError, "IO_ERROR"},
      {StatusCode::kReadOnly, "READ_ONLY"},
      {StatusCode::kBusy, "BUSY"},
      {StatusCode::kShuttingDown, "SHUTTING_DOWN"},
  };
  const std::vector<uint8_t> codes = {0x00, 0x01, 0x02, 0x10, 0x11, 0x12,
                                      0x13, 0x14, 0x20, 0x21, 0x22, 0x23};
  ASSERT_EQ(table.size(), codes.size());
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(static_cast<uint8_t>(table[i].first), codes[i]);
    EXPECT_EQ(StatusName(table[i].first), table[i].second);
  }
}

TEST(CodesTest, OpcodeNamesAndValues) {
  const std::vector<std::string_view> names = {
      "PING", "GET", "PUT", "DELETE", "CAS", "BATCH", "SCAN", "INCR", "STATS", "AUTH", "SNAPSHOT"};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(OpcodeName(static_cast<Opcode>(i + 1)), names[i]);
  }
  EXPECT_EQ(static_cast<uint8_t>(Opcode::kSnapshot), 0x0B);
}

TEST(CodesTest, KnownCodesAreExactlyTheTables) {
  for (int code = 0; code < 256; ++code) {
    const auto byte = static_cast<uint8_t>(code);
    EXPECT_EQ(IsKnownOpcode(byte), code >= 0x01 && code <= 0x0B) << code;
    const bool status =
        code <= 0x02 || (code >= 0x10 && code <= 0x14) || (code >= 0x20 && code <= 0x23);
    EXPECT_EQ(IsKnownStatus(byte), status) << code;
  }
  EXPECT_EQ(OpcodeName(static_cast<Opcode>(0x0C)), "UNKNOWN");
  EXPECT_EQ(StatusName(static_cast<StatusCode>(0x03)), "UNKNOWN");
}

TEST(CodesTest, HexByte) {
  EXPECT_EQ(HexByte(0x0c), "0x0c");
  EXPECT_EQ(HexByte(0xCA), "0xca");
}

TEST(FrameTest, HeaderIsBigEndianAtFixedOffsets) {
  std::string out;
  AppendHeader(&out, FrameHeader{.magic = kRequestMagic,
                                 .version = kProtocolVersion,
                                 .code = 0x02,
                                 .flags = 0,
                                 .request_id = 0x12345678,
                                 .body_length = 0x0A0B0C0D});
  EXPECT_EQ(out, "\xCA\x01\x02\x00\x12\x34\x56\x78\x0A\x0B\x0C\x0D"s);
  ASSERT_EQ(out.size(), kHeaderSize);
}

TEST(FrameTest, HeaderRoundTrips) {
  const FrameHeader header{.magic = 0xCB,
                           .version = 0xFF,
                           .code = 0x23,
                           .flags = 0x80,
                           .request_id = 0xFFFFFFFF,
                           .body_length = 0x80000001};
  std::string out;
  AppendHeader(&out, header);
  out += "trailing body bytes are ignored";
  EXPECT_EQ(DecodeHeader(out), header);
}

TEST(FrameTest, AppendFrameWritesHeaderAndLengthPrefixedFields) {
  const std::vector<std::string_view> fields = {"ab", "", "\0\xFF"sv};
  std::string out = "prefix";
  AppendFrame(&out, kResponseMagic, 0x00, 7, fields);
  EXPECT_EQ(out,
            "prefix"
            "\xCB\x01\x00\x00\x00\x00\x00\x07\x00\x00\x00\x10"
            "\x00\x00\x00\x02"
            "ab"
            "\x00\x00\x00\x00"
            "\x00\x00\x00\x02\x00\xFF"s);
}

TEST(FrameTest, SplitFieldsRoundTripsBinarySafeFields) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  const std::vector<std::string_view> fields = {"", "\0"sv, "\r\n", "\xFF", all_bytes, ""};
  std::string frame;
  AppendFrame(&frame, kRequestMagic, 1, 1, fields);
  Result<std::vector<std::string_view>> split = SplitFields(std::string_view(frame).substr(12));
  ASSERT_TRUE(split.ok()) << split.error().message;
  EXPECT_EQ(split.value(), fields);
}

TEST(FrameTest, SplitFieldsOfAnEmptyBodyIsNoFields) {
  Result<std::vector<std::string_view>> split = SplitFields("");
  ASSERT_TRUE(split.ok());
  EXPECT_TRUE(split.value().empty());
}

TEST(FrameTest, SplitFieldsRejectsOverrun) {
  // Declares 5 bytes, holds 4.
  Result<std::vector<std::string_view>> split = SplitFields("\x00\x00\x00\x05"s + "abcd");
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.error().status, StatusCode::kBadRequest);
  EXPECT_EQ(split.error().message, "field 1 declares 5 bytes but only 4 remain in the body");
}

TEST(FrameTest, SplitFieldsRejectsUnderrunOfEveryShortTail) {
  const std::string field = "\x00\x00\x00\x01x"s;
  for (size_t stray = 1; stray < kFieldLengthSize; ++stray) {
    Result<std::vector<std::string_view>> split = SplitFields(field + std::string(stray, '\0'));
    ASSERT_FALSE(split.ok()) << stray;
    EXPECT_EQ(split.error().status, StatusCode::kBadRequest);
    EXPECT_NE(split.error().message.find("stray"), std::string::npos);
  }
}

TEST(FrameTest, CountFieldsCountsWhatSplitFieldsWouldReturn) {
  const std::string two = "\x00\x00\x00\x01x\x00\x00\x00\x00"s;
  Result<size_t> count = CountFields(two);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count.value(), 2u);
  EXPECT_EQ(CountFields("").value(), 0u);
  Result<size_t> overrun = CountFields("\x00\x00\x00\x05"s + "abcd");
  ASSERT_FALSE(overrun.ok());
  EXPECT_EQ(overrun.error().message, "field 1 declares 5 bytes but only 4 remain in the body");
}

TEST(FrameTest, IntegerFieldsAreBigEndianWithExactWidth) {
  EXPECT_EQ(EncodeU8(0xAB), "\xAB");
  EXPECT_EQ(EncodeU32(0x01020304), "\x01\x02\x03\x04");
  EXPECT_EQ(EncodeU64(0x0102030405060708), "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(EncodeI64(-1), std::string(8, '\xFF'));
  EXPECT_EQ(EncodeI64(-2), "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFE");
  EXPECT_EQ(EncodeI64(std::numeric_limits<int64_t>::min()), "\x80" + std::string(7, '\0'));
}

TEST(FrameTest, IntegerFieldsRoundTrip) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{0x100}, uint64_t{0xFFFFFFFF},
                     uint64_t{0x123456789ABCDEF}, std::numeric_limits<uint64_t>::max()}) {
    EXPECT_EQ(DecodeU64(EncodeU64(v)), v);
    EXPECT_EQ(DecodeU32(EncodeU32(static_cast<uint32_t>(v))), static_cast<uint32_t>(v));
    EXPECT_EQ(DecodeU8(EncodeU8(static_cast<uint8_t>(v))), static_cast<uint8_t>(v));
  }
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{-123456789},
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(DecodeI64(EncodeI64(v)), v);
  }
}

TEST(FrameTest, IntegerFieldsOfAnyOtherWidthDoNotDecode) {
  for (size_t width = 0; width <= 9; ++width) {
    const std::string field(width, '\x01');
    EXPECT_EQ(DecodeU8(field).has_value(), width == 1) << width;
    EXPECT_EQ(DecodeU32(field).has_value(), width == 4) << width;
    EXPECT_EQ(DecodeU64(field).has_value(), width == 8) << width;
    EXPECT_EQ(DecodeI64(field).has_value(), width == 8) << width;
  }
}

}  // namespace
}  // namespace cairn::protocol
