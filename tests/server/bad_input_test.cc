// Bad binary input, case by case from docs/protocol.md section 5: a well-framed
// request that is wrong in its body gets an error status and the connection
// stays usable; a bad magic byte, an unsupported version or a body length
// over max_frame_bytes gets one answer echoing the request id, then the
// connection closes, without the server waiting for (or reading) the body.
// Either way the server keeps serving other clients.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/frame.h"
#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using namespace std::string_literals;
using protocol::EncodeU32;
using protocol::EncodeU64;
using protocol::Response;
using protocol::StatusCode;

constexpr uint32_t kMaxFrameBytes = 4096;
constexpr uint8_t kMagic = protocol::kRequestMagic;
constexpr uint8_t kVersion = protocol::kProtocolVersion;

class BadInputTest : public CairndTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer({"--max-frame-bytes", std::to_string(kMaxFrameBytes),
                                         "--max-key-bytes", "64", "--max-value-bytes", "256"}));
    // A bystander connected before the bad input, checked after it.
    ASSERT_NO_FATAL_FAILURE(Connect(&bystander_));
    ASSERT_EQ(Call(&bystander_, PingRequest()), Response::Ok());
  }

  // Sends `bytes` on a fresh connection; expects exactly one answer with
  // `status` and `id` and a message, then a working connection (a PING).
  void ExpectAnsweredAndKept(const std::string& what, const std::string& bytes, StatusCode status,
                             uint32_t id) {
    SCOPED_TRACE(what);
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    ASSERT_TRUE(client.SendRaw(bytes)) << client.error();
    Response response = Read(&client);
    EXPECT_EQ(response.status, status) << testing::PrintToString(response);
    EXPECT_EQ(response.request_id, id);
    if (response.status == status) {
      EXPECT_FALSE(MessageOf(response).empty());
    }
    EXPECT_EQ(Call(&client, WithId(PingRequest("still here"), 0xBEEF)),
              (Response{StatusCode::kOk, 0xBEEF, {"still here"}}));
    ExpectServerStillServes();
  }

  // Sends `bytes` on a fresh connection; expects exactly one answer with
  // `status` and `id`, then the server closing the connection with nothing
  // more sent.
  void ExpectAnsweredAndClosed(const std::string& what, const std::string& bytes, StatusCode status,
                               uint32_t id) {
    SCOPED_TRACE(what);
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    client.set_timeout(std::chrono::seconds(3));
    ASSERT_TRUE(client.SendRaw(bytes)) << client.error();
    Response response = Read(&client);
    EXPECT_EQ(response.status, status) << testing::PrintToString(response);
    EXPECT_EQ(response.request_id, id);
    if (response.status == status) {
      EXPECT_FALSE(MessageOf(response).empty());
    }
    EXPECT_TRUE(client.WaitForClose(std::chrono::seconds(3))) << client.error();
    ExpectServerStillServes();
  }

  void ExpectServerStillServes() {
    EXPECT_EQ(Call(&bystander_, PingRequest("bystander")), Response::Ok({"bystander"}));
    TestClient fresh;
    ASSERT_NO_FATAL_FAILURE(Connect(&fresh));
    EXPECT_EQ(Call(&fresh, PingRequest()), Response::Ok());
  }

  TestClient bystander_;
};

std::string Field(const std::string& bytes) {
  std::string out;
  protocol::AppendField(&out, bytes);
  return out;
}

TEST_F(BadInputTest, NonZeroFlagsIsBadRequestAndKeepsTheConnection) {
  for (uint8_t flags : {0x01, 0x80, 0xFF}) {
    ExpectAnsweredAndKept("flags " + std::to_string(flags),
                          RawFrame(kMagic, kVersion, 0x01, flags, 0x11223344, 0, ""),
                          StatusCode::kBadRequest, 0x11223344);
  }
  const std::string body = Field("k") + Field("v");
  ExpectAnsweredAndKept("PUT with flags",
                        RawFrame(kMagic, kVersion, 0x03, 0x02, 5, body.size(), body),
                        StatusCode::kBadRequest, 5);
  EXPECT_EQ(Call(&bystander_, GetRequest("k")), Response::NotFound());
}

TEST_F(BadInputTest, UnknownOpcodeKeepsTheConnection) {
  for (uint8_t opcode : {0x00, 0x0C, 0x7F, 0xFF}) {
    ExpectAnsweredAndKept("opcode " + std::to_string(opcode),
                          RawFrame(kMagic, kVersion, opcode, 0, 0x0A0B0C0D, 0, ""),
                          StatusCode::kUnknownOpcode, 0x0A0B0C0D);
  }
  // The body of an unknown opcode is skipped, whatever it holds.
  const std::string junk = "\xCA\x01\x01\x00 not a frame"s;
  ExpectAnsweredAndKept("opcode with a body",
                        RawFrame(kMagic, kVersion, 0x42, 0, 9, junk.size(), junk),
                        StatusCode::kUnknownOpcode, 9);
}

TEST_F(BadInputTest, FieldsThatDoNotFillTheBodyKeepTheConnection) {
  const std::string runs_past = "\x00\x00\x00\x0a"s + "abc";  // says 10 bytes, has 3
  ExpectAnsweredAndKept("field length past the body",
                        RawFrame(kMagic, kVersion, 0x02, 0, 1, runs_past.size(), runs_past),
                        StatusCode::kBadRequest, 1);
  const std::string left_over = Field("k") + "\x00\x00"s;  // 2 bytes after the last field
  ExpectAnsweredAndKept("bytes after the last field",
                        RawFrame(kMagic, kVersion, 0x02, 0, 2, left_over.size(), left_over),
                        StatusCode::kBadRequest, 2);
}

TEST_F(BadInputTest, WrongFieldCountKeepsTheConnection) {
  struct Case {
    const char* what;
    uint8_t opcode;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"PING with 2 fields", 0x01, {"a", "b"}},
      {"GET with no field", 0x02, {}},
      {"GET with 2 fields", 0x02, {"k", "k"}},
      {"PUT with 1 field", 0x03, {"k"}},
      {"PUT with 3 fields", 0x03, {"k", "v", "x"}},
      {"DELETE with 3 fields", 0x04, {"k", EncodeU64(1), "x"}},
      {"CAS with 2 fields", 0x05, {"k", EncodeU64(0)}},
      {"SCAN with 2 fields", 0x07, {"", ""}},
      {"INCR with 1 field", 0x08, {"k"}},
      {"STATS with 1 field", 0x09, {"x"}},
      {"AUTH with no field", 0x0A, {}},
      {"SNAPSHOT with 1 field", 0x0B, {"x"}},
  };
  uint32_t id = 100;
  for (const Case& c : cases) {
    ++id;
    ExpectAnsweredAndKept(c.what, RequestFrame(c.opcode, id, c.fields), StatusCode::kBadRequest,
                          id);
  }
  EXPECT_EQ(Call(&bystander_, ScanRequest("", "", 0)), Response::OkScan({}, false));
}

TEST_F(BadInputTest, WrongIntegerFieldWidthKeepsTheConnection) {
  struct Case {
    const char* what;
    uint8_t opcode;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"DELETE version of 4 bytes", 0x04, {"k", EncodeU32(1)}},
      {"CAS version of 9 bytes", 0x05, {"k", EncodeU64(0) + "\x00"s, "v"}},
      {"CAS version of 0 bytes", 0x05, {"k", "", "v"}},
      {"SCAN limit of 8 bytes", 0x07, {"", "", EncodeU64(1)}},
      {"SCAN limit of 2 bytes", 0x07, {"", "", "\x00\x01"s}},
      {"INCR delta of 4 bytes", 0x08, {"k", EncodeU32(1)}},
      {"BATCH op of 2 bytes", 0x06, {"\x00\x03"s, "k", "v"}},
      {"BATCH op of 0 bytes", 0x06, {"", "k", "v"}},
  };
  uint32_t id = 200;
  for (const Case& c : cases) {
    ++id;
    ExpectAnsweredAndKept(c.what, RequestFrame(c.opcode, id, c.fields), StatusCode::kBadRequest,
                          id);
  }
  EXPECT_EQ(Call(&bystander_, ScanRequest("", "", 0)), Response::OkScan({}, false));
}

TEST_F(BadInputTest, KeyOrValueOverTheLimitsIsTooLargeAndKeepsTheConnection) {
  const std::string key_64(64, 'k'), key_65(65, 'k');
  const std::string value_256(256, 'v'), value_257(257, 'v');
  std::string frame;
  protocol::EncodeRequest(WithId(PutRequest(key_65, "v"), 1), &frame);
  ExpectAnsweredAndKept("PUT key of 65", frame, StatusCode::kTooLarge, 1);
  frame.clear();
  protocol::EncodeRequest(WithId(PutRequest("k", value_257), 2), &frame);
  ExpectAnsweredAndKept("PUT value of 257", frame, StatusCode::kTooLarge, 2);
  frame.clear();
  protocol::EncodeRequest(WithId(GetRequest(key_65), 3), &frame);
  ExpectAnsweredAndKept("GET key of 65", frame, StatusCode::kTooLarge, 3);
  frame.clear();
  protocol::EncodeRequest(WithId(CasRequest("k", 0, value_257), 4), &frame);
  ExpectAnsweredAndKept("CAS value of 257", frame, StatusCode::kTooLarge, 4);
  frame.clear();
  protocol::EncodeRequest(WithId(BatchRequest({{false, "fine", "v"}, {false, key_65, "v"}}), 5),
                          &frame);
  ExpectAnsweredAndKept("BATCH with a key of 65", frame, StatusCode::kTooLarge, 5);
  EXPECT_EQ(Call(&bystander_, GetRequest("fine")), Response::NotFound())
      << "a rejected BATCH applied part of its operations";

  // The limits themselves are allowed.
  EXPECT_EQ(Call(&bystander_, PutRequest(key_64, value_256)), Response::OkVersion(1));
  EXPECT_EQ(Call(&bystander_, GetRequest(key_64)), Response::OkValue(value_256, 1));
}

TEST_F(BadInputTest, ScanBoundsAreNotKeysSoAContinuationAfterAMaxLengthKeyWorks) {
  // docs/protocol.md: to continue a SCAN, send start = last key + 0x00, which is
  // one byte over max_key_bytes after a key of the maximum length.
  const std::string key_64(64, 'k');
  EXPECT_EQ(Call(&bystander_, PutRequest(key_64, "a")), Response::OkVersion(1));
  EXPECT_EQ(Call(&bystander_, PutRequest("z", "b")), Response::OkVersion(2));
  EXPECT_EQ(Call(&bystander_, ScanRequest("", "", 1)), Response::OkScan({{key_64, "a"}}, true));
  EXPECT_EQ(Call(&bystander_, ScanRequest(key_64 + '\0', std::string(65, 'z'), 1)),
            Response::OkScan({{"z", "b"}}, false));
}

TEST_F(BadInputTest, BodyOfExactlyMaxFrameBytesIsAccepted) {
  const std::string payload(kMaxFrameBytes - protocol::kFieldLengthSize, 'p');
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  EXPECT_EQ(Call(&client, WithId(PingRequest(payload), 3)),
            (Response{StatusCode::kOk, 3, {payload}}));
}

TEST_F(BadInputTest, BadMagicAnswersOnceAndCloses) {
  // Magic bytes that are not ASCII letters, so the connection is binary.
  for (uint8_t magic : {0x00, 0xCB, 0xFF, 0x01}) {
    ExpectAnsweredAndClosed("magic " + std::to_string(magic),
                            RawFrame(magic, kVersion, 0x01, 0, 0xA1B2C3D4, 0, ""),
                            StatusCode::kBadRequest, 0xA1B2C3D4);
  }
  // Whatever follows the bad header is never answered.
  std::string then_ping = RawFrame(0xCB, kVersion, 0x01, 0, 0x01020304, 0, "");
  protocol::EncodeRequest(WithId(PingRequest(), 2), &then_ping);
  ExpectAnsweredAndClosed("bad magic then a PING", then_ping, StatusCode::kBadRequest, 0x01020304);
}

TEST_F(BadInputTest, UnsupportedProtocolVersionAnswersOnceAndCloses) {
  for (uint8_t version : {0x00, 0x02, 0xFF}) {
    ExpectAnsweredAndClosed("version " + std::to_string(version),
                            RawFrame(kMagic, version, 0x01, 0, 0xF0E1D2C3, 0, ""),
                            StatusCode::kBadRequest, 0xF0E1D2C3);
  }
  const std::string body = Field("k") + Field("v");
  ExpectAnsweredAndClosed("PUT with version 2",
                          RawFrame(kMagic, 0x02, 0x03, 0, 77, body.size(), body),
                          StatusCode::kBadRequest, 77);
  EXPECT_EQ(Call(&bystander_, GetRequest("k")), Response::NotFound());
}

TEST_F(BadInputTest, BodyLengthOverMaxFrameBytesIsTooLargeWithoutWaitingForTheBody) {
  // Only the header is sent: the answer must not wait for the body.
  ExpectAnsweredAndClosed("length max+1, no body",
                          RawFrame(kMagic, kVersion, 0x03, 0, 0x55667788, kMaxFrameBytes + 1, ""),
                          StatusCode::kTooLarge, 0x55667788);
  ExpectAnsweredAndClosed("length 4 GiB - 1, no body",
                          RawFrame(kMagic, kVersion, 0x01, 0, 0x01, 0xFFFFFFFF, ""),
                          StatusCode::kTooLarge, 0x01);
}

TEST_F(BadInputTest, BodyLengthOverMaxFrameBytesWithItsBodyIsTooLarge) {
  std::string body = Field("k") + Field(std::string(kMaxFrameBytes, 'v'));
  ExpectAnsweredAndClosed("oversized PUT with its body",
                          RawFrame(kMagic, kVersion, 0x03, 0, 0x99, body.size(), body),
                          StatusCode::kTooLarge, 0x99);
  EXPECT_EQ(Call(&bystander_, GetRequest("k")), Response::NotFound());
}

TEST_F(BadInputTest, FatalErrorAfterPipelinedRequestsAnswersThemFirst) {
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  std::string wire;
  protocol::EncodeRequest(WithId(PingRequest(), 1), &wire);
  protocol::EncodeRequest(WithId(PutRequest("before", "x"), 2), &wire);
  wire += RawFrame(0x00, kVersion, 0x01, 0, 3, 0, "");
  protocol::EncodeRequest(WithId(PutRequest("after", "y"), 4), &wire);
  ASSERT_TRUE(client.SendRaw(wire)) << client.error();
  EXPECT_EQ(Read(&client), (Response{StatusCode::kOk, 1, {}}));
  EXPECT_EQ(Read(&client), (Response{StatusCode::kOk, 2, {EncodeU64(1)}}));
  Response fatal = Read(&client);
  EXPECT_EQ(fatal.status, StatusCode::kBadRequest) << testing::PrintToString(fatal);
  EXPECT_EQ(fatal.request_id, 3u);
  EXPECT_TRUE(client.WaitForClose(std::chrono::seconds(3))) << client.error();
  EXPECT_EQ(Call(&bystander_, GetRequest("before")), Response::OkValue("x", 1));
  EXPECT_EQ(Call(&bystander_, GetRequest("after")), Response::NotFound());
}

TEST_F(BadInputTest, ErrorsThatKeepTheConnectionDoNotDisturbPipelinedRequests) {
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  std::string wire;
  protocol::EncodeRequest(WithId(PutRequest("a", "1"), 1), &wire);
  wire += RawFrame(kMagic, kVersion, 0x0C, 0, 2, 3, "xyz");  // unknown opcode
  wire += RawFrame(kMagic, kVersion, 0x01, 0x01, 3, 0, "");  // flags
  wire += RequestFrame(0x02, 4, {});                         // GET, no key
  protocol::EncodeRequest(WithId(GetRequest("a"), 5), &wire);
  ASSERT_TRUE(client.SendRaw(wire)) << client.error();
  EXPECT_EQ(Read(&client), (Response{StatusCode::kOk, 1, {EncodeU64(1)}}));
  Response r2 = Read(&client), r3 = Read(&client), r4 = Read(&client);
  EXPECT_EQ(r2.status, StatusCode::kUnknownOpcode);
  EXPECT_EQ(r2.request_id, 2u);
  EXPECT_EQ(r3.status, StatusCode::kBadRequest);
  EXPECT_EQ(r3.request_id, 3u);
  EXPECT_EQ(r4.status, StatusCode::kBadRequest);
  EXPECT_EQ(r4.request_id, 4u);
  EXPECT_EQ(Read(&client), (Response{StatusCode::kOk, 5, {"1", EncodeU64(1)}}));
}

}  // namespace
}  // namespace cairn::server_test
