#include "protocol/response.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame.h"

namespace cairn::protocol {
namespace {

using namespace std::literals;

Result<Response> RoundTrip(const Response& response) {
  std::string frame;
  EncodeResponse(response, &frame);
  FrameHeader header = DecodeHeader(frame);
  EXPECT_EQ(header.magic, kResponseMagic);
  EXPECT_EQ(header.version, kProtocolVersion);
  EXPECT_EQ(header.flags, 0);
  EXPECT_EQ(header.body_length, frame.size() - kHeaderSize);
  return ParseResponse(header, std::string_view(frame).substr(kHeaderSize));
}

Result<Response> Parse(uint8_t code, std::vector<std::string_view> fields, uint8_t flags = 0) {
  std::string frame;
  AppendFrame(&frame, kResponseMagic, code, 5, fields);
  FrameHeader header = DecodeHeader(frame);
  header.flags = flags;
  return ParseResponse(header, std::string_view(frame).substr(kHeaderSize));
}

template <typename T>
void ExpectMalformed(const Result<T>& result, std::string_view message) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().status, StatusCode::kBadRequest);
  EXPECT_EQ(result.error().message, "malformed response: " + std::string(message));
}

TEST(ResponseTest, FactoriesBuildTheDocumentedFields) {
  EXPECT_EQ(Response::Ok().fields, std::vector<std::string>{});
  EXPECT_EQ(Response::OkVersion(7).fields, std::vector<std::string>{EncodeU64(7)});
  EXPECT_EQ(Response::OkValue("v", 9).fields, (std::vector<std::string>{"v", EncodeU64(9)}));
  EXPECT_EQ(Response::OkScan({{"a", "1"}, {"b", "2"}}, true).fields,
            (std::vector<std::string>{"a", "1", "b", "2", "\x01"}));
  EXPECT_EQ(Response::OkScan({}, false).fields, std::vector<std::string>{"\x00"s});
  EXPECT_EQ(Response::NotFound().status, StatusCode::kNotFound);
  EXPECT_TRUE(Response::NotFound().fields.empty());
  EXPECT_EQ(Response::VersionMismatch(0).status, StatusCode::kVersionMismatch);
  EXPECT_EQ(Response::VersionMismatch(0).fields, std::vector<std::string>{EncodeU64(0)});
  const Response failure = Response::Failure(StatusCode::kTypeError, "not a number");
  EXPECT_EQ(failure.status, StatusCode::kTypeError);
  EXPECT_EQ(failure.fields, std::vector<std::string>{"not a number"});
}

TEST(ResponseTest, EncodingIsExact) {
  Response response = Response::OkVersion(0x0102);
  response.request_id = 0xAABBCCDD;
  std::string frame = "x";
  EncodeResponse(response, &frame);
  EXPECT_EQ(frame,
            "x"
            "\xCB\x01\x00\x00\xAA\xBB\xCC\xDD\x00\x00\x00\x0C"
            "\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\x02"s);
}

TEST(ResponseTest, EveryStatusRoundTrips) {
  std::vector<Response> responses = {
      Response::Ok(),
      Response::Ok({"ping payload\0"s}),
      Response::OkVersion(1),
      Response::OkValue("\0\r\n\xFF"s, 0xFFFFFFFFFFFFFFFF),
      Response::OkScan({{"", ""}, {"k\0"s, "v"}}, true),
      Response::Ok({R"({"keys":0})"}),
      Response::NotFound(),
      Response::VersionMismatch(12),
  };
  for (StatusCode status :
       {StatusCode::kBadRequest, StatusCode::kUnknownOpcode, StatusCode::kTooLarge,
        StatusCode::kTypeError, StatusCode::kUnauthorized, StatusCode::kIoError,
        StatusCode::kReadOnly, StatusCode::kBusy, StatusCode::kShuttingDown}) {
    responses.push_back(Response::Failure(status, std::string(StatusName(status)) + " text"));
  }
  uint32_t id = 0;
  for (Response& response : responses) {
    response.request_id = ++id * 0x10001;
    Result<Response> parsed = RoundTrip(response);
    ASSERT_TRUE(parsed.ok()) << StatusName(response.status) << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value(), response) << StatusName(response.status);
  }
}

TEST(ResponseTest, ParseRejectsBadFrames) {
  ExpectMalformed(Parse(0x00, {}, 0x02), "flags must be 0, got 0x02");
  ExpectMalformed(Parse(0x03, {}), "unknown status 0x03");
  ExpectMalformed(Parse(0xFF, {}), "unknown status 0xff");
  FrameHeader header{.magic = kResponseMagic, .code = 0x00, .body_length = 3};
  ExpectMalformed(ParseResponse(header, "\x00\x00\x00"sv),
                  "body ends with 3 stray byte(s), too few for a field length");
}

TEST(ResponseTest, ParseChecksTheFieldsEachStatusRequires) {
  ExpectMalformed(Parse(0x01, {"x"}), "NOT_FOUND carries 1 field(s), expected none");
  ExpectMalformed(Parse(0x02, {}), "expected [version], got 0 field(s)");
  ExpectMalformed(Parse(0x02, {EncodeU32(1)}), "the version field is not 8 bytes");
  ExpectMalformed(Parse(0x10, {}), "BAD_REQUEST carries 0 field(s), expected [message]");
  ExpectMalformed(Parse(0x23, {"a", "b"}), "SHUTTING_DOWN carries 2 field(s), expected [message]");
  // OK bodies depend on the request: any fields parse.
  EXPECT_TRUE(Parse(0x00, {"a", "b", "c"}).ok());
}

TEST(ResponseTest, TypedReaders) {
  Result<uint64_t> version = ResponseVersion(Response::OkVersion(42));
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version.value(), 42u);
  EXPECT_EQ(ResponseVersion(Response::VersionMismatch(3)).value(), 3u);

  const Response got = Response::OkValue("\0v"s, 8);
  Result<VersionedValue> value = ResponseValue(got);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value.value().value, "\0v"sv);
  EXPECT_EQ(value.value().version, 8u);

  const Response scanned = Response::OkScan({{"a", "1"}, {"b", ""}}, true);
  Result<ScanPage> page = ResponseScan(scanned);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.value().entries.size(), 2u);
  EXPECT_EQ(page.value().entries[0].first, "a");
  EXPECT_EQ(page.value().entries[0].second, "1");
  EXPECT_EQ(page.value().entries[1].first, "b");
  EXPECT_EQ(page.value().entries[1].second, "");
  EXPECT_TRUE(page.value().more);
  EXPECT_FALSE(ResponseScan(Response::OkScan({}, false)).value().more);
}

TEST(ResponseTest, TypedReadersRejectOtherShapes) {
  ExpectMalformed(ResponseVersion(Response::Ok()), "expected [version], got 0 field(s)");
  ExpectMalformed(ResponseVersion(Response::Ok({"1234567"})), "the version field is not 8 bytes");
  ExpectMalformed(ResponseValue(Response::OkVersion(1)),
                  "expected [value, version], got 1 field(s)");
  ExpectMalformed(ResponseValue(Response::Ok({"v", "short"})), "the version field is not 8 bytes");
  ExpectMalformed(ResponseScan(Response::Ok({"k", "v"})),
                  "expected [k1, v1, ..., kn, vn, more], got 2 field(s)");
  ExpectMalformed(ResponseScan(Response::Ok({"\x02"})), "the more field must be one byte, 0 or 1");
  ExpectMalformed(ResponseScan(Response::Ok({""})), "the more field must be one byte, 0 or 1");
}

}  // namespace
}  // namespace cairn::protocol
