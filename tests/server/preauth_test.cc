// Before AUTH (a token configured), a connection is held to the pre-auth
// limits of server/auth.h: requests of at most 16 KiB, only AUTH, PING (64
// bytes of payload at most) and QUIT served, other requests refused before
// their body is parsed, a deadline to authenticate, and at most
// --max-unauthenticated-connections of them, the oldest displaced first.
// AUTH lifts the limits for the rest of the connection, the same pipeline
// included.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "protocol/request.h"
#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using protocol::Response;
using protocol::StatusCode;
using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "pre-auth-token-0123456";
constexpr size_t kPreAuthRequestBytes = 16 * 1024;
constexpr size_t kPreAuthPingBytes = 64;

class PreAuthTest : public CairndTest {
 protected:
  void StartWithToken(std::vector<std::string> flags = {}) {
    const std::string token_file = dir_.file("token");
    std::ofstream(token_file) << kToken << "\n";
    ::chmod(token_file.c_str(), 0600);
    flags.insert(flags.begin(), {"--auth-token-file", token_file});
    ASSERT_NO_FATAL_FAILURE(StartServer(std::move(flags)));
  }
};

TEST_F(PreAuthTest, RequestOverSixteenKiBIsTooLargeAndClosesBeforeItArrives) {
  ASSERT_NO_FATAL_FAILURE(StartWithToken());
  {
    SCOPED_TRACE("binary: the header alone decides");
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    const std::string header = RawFrame(protocol::kRequestMagic, protocol::kProtocolVersion, 0x0A,
                                        0, 5, kPreAuthRequestBytes + 1, "");
    ASSERT_TRUE(client.SendRaw(header));
    std::optional<Response> response = client.ReadResponse();
    ASSERT_TRUE(response) << client.error();
    EXPECT_EQ(response->status, StatusCode::kTooLarge) << testing::PrintToString(*response);
    EXPECT_EQ(response->request_id, 5u);
    EXPECT_NE(MessageOf(*response).find("before AUTH"), std::string::npos);
    EXPECT_TRUE(client.WaitForClose(std::chrono::seconds(3))) << client.error();
  }
  {
    SCOPED_TRACE("text: a line without its end");
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    ASSERT_TRUE(client.SendRaw("AUTH " + std::string(kPreAuthRequestBytes, 'a')));
    std::optional<std::string> line = client.ReadLine();
    ASSERT_TRUE(line) << client.error();
    EXPECT_EQ(*line,
              "TOO_LARGE line longer than the limit of 16384 bytes before AUTH; closing the "
              "connection");
    EXPECT_TRUE(client.WaitForClose(std::chrono::seconds(3))) << client.error();
  }
  {
    SCOPED_TRACE("a request of exactly 16 KiB is read (and refused as unauthenticated)");
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    const std::string line = "GET " + std::string(kPreAuthRequestBytes - 4, 'k');
    ASSERT_TRUE(client.SendRaw(line + "\n"));
    std::optional<std::string> answer = client.ReadLine();
    ASSERT_TRUE(answer) << client.error();
    EXPECT_EQ(answer->rfind("UNAUTHORIZED ", 0), 0u) << *answer;
    ASSERT_TRUE(client.SendRaw("AUTH " + std::string(kToken) + "\n"));
    EXPECT_EQ(client.ReadLine(), "OK");
  }
}

TEST_F(PreAuthTest, PingEchoesAtMost64BytesBeforeAuth) {
  ASSERT_NO_FATAL_FAILURE(StartWithToken());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  const std::string fits(kPreAuthPingBytes, 'p');
  EXPECT_EQ(Call(&client, PingRequest(fits)), Response::Ok({fits}));
  Response over = Call(&client, WithId(PingRequest(fits + "p"), 3));
  EXPECT_EQ(over.status, StatusCode::kUnauthorized) << testing::PrintToString(over);
  EXPECT_EQ(over.request_id, 3u);
  EXPECT_NE(MessageOf(over).find("at most 64 bytes"), std::string::npos);
  // After AUTH the payload is limited by the frame only.
  EXPECT_EQ(Call(&client, AuthRequest(kToken)), Response::Ok());
  const std::string big(100000, 'q');
  EXPECT_EQ(Call(&client, PingRequest(big)), Response::Ok({big}));

  TestClient text;
  ASSERT_NO_FATAL_FAILURE(Connect(&text));
  ASSERT_TRUE(text.SendRaw("PING " + fits + "\nPING " + fits + "p\n"));
  EXPECT_EQ(text.ReadLine(), "OK \"" + fits + "\"");
  std::optional<std::string> line = text.ReadLine();
  ASSERT_TRUE(line) << text.error();
  EXPECT_EQ(line->rfind("UNAUTHORIZED ", 0), 0u) << *line;
}

// A PUT whose body does not even split into fields: answered UNAUTHORIZED,
// not BAD_REQUEST, because its body is never parsed.
TEST_F(PreAuthTest, RequestOtherThanAuthOrPingIsRefusedBeforeItsBodyIsParsed) {
  ASSERT_NO_FATAL_FAILURE(StartWithToken());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  ASSERT_TRUE(client.SendRaw(RawFrame(protocol::kRequestMagic, protocol::kProtocolVersion, 0x03, 0,
                                      9, 3, "\x01\x02\x03")));
  std::optional<Response> response = client.ReadResponse();
  ASSERT_TRUE(response) << client.error();
  EXPECT_EQ(response->status, StatusCode::kUnauthorized) << testing::PrintToString(*response);
  EXPECT_EQ(response->request_id, 9u);
  // After AUTH the same bytes are parsed, and refused for what they are.
  EXPECT_EQ(Call(&client, AuthRequest(kToken)), Response::Ok());
  ASSERT_TRUE(client.SendRaw(RawFrame(protocol::kRequestMagic, protocol::kProtocolVersion, 0x03, 0,
                                      10, 3, "\x01\x02\x03")));
  response = client.ReadResponse();
  ASSERT_TRUE(response) << client.error();
  EXPECT_EQ(response->status, StatusCode::kBadRequest) << testing::PrintToString(*response);
}

// An unknown command, or a line that does not even tokenize, gets the same
// answer as a known one: nothing about the server is told before AUTH.
TEST_F(PreAuthTest, TextLineIsRefusedByItsCommandAlone) {
  ASSERT_NO_FATAL_FAILURE(StartWithToken());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  ASSERT_TRUE(client.SendRaw("a a a a\nFLUSHALL\nGET \"unterminated\nPUT k v\n"));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(client.ReadLine(), "UNAUTHORIZED authenticate first (AUTH token)") << i;
  }
  ASSERT_TRUE(client.SendRaw("PING \"unterminated\n"));
  std::optional<std::string> ping = client.ReadLine();
  ASSERT_TRUE(ping) << client.error();
  EXPECT_EQ(ping->rfind("BAD_REQUEST unterminated quote", 0), 0u) << *ping;
}

TEST_F(PreAuthTest, AuthLiftsTheLimitsForTheRestOfItsPipeline) {
  ASSERT_NO_FATAL_FAILURE(StartWithToken());
  const std::string value(1 << 20, 'v');
  {
    SCOPED_TRACE("binary");
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    std::string bytes;
    protocol::EncodeRequest(WithId(AuthRequest(kToken), 1), &bytes);
    protocol::EncodeRequest(WithId(PutRequest("big", value), 2), &bytes);
    ASSERT_TRUE(client.SendRaw(bytes));
    std::optional<Response> auth = client.ReadResponse();
    std::optional<Response> put = client.ReadResponse();
    ASSERT_TRUE(auth && put) << client.error();
    EXPECT_EQ(auth->status, StatusCode::kOk) << testing::PrintToString(*auth);
    EXPECT_EQ(put->status, StatusCode::kOk) << testing::PrintToString(*put);
  }
  {
    SCOPED_TRACE("text");
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    ASSERT_TRUE(client.SendRaw("AUTH " + std::string(kToken) + "\nPUT big2 " +
                               std::string(100000, 'w') + "\n"));
    EXPECT_EQ(client.ReadLine(), "OK");
    std::optional<std::string> put = client.ReadLine();
    ASSERT_TRUE(put) << client.error();
    EXPECT_EQ(put->rfind("OK ", 0), 0u) << put->substr(0, 200);
  }
}

TEST_F(PreAuthTest, ConnectionNotAuthenticatedInTimeIsClosedEvenIfActive) {
  ASSERT_NO_FATAL_FAILURE(StartWithToken({"--auth-timeout-ms", "600"}));
  TestClient authed;
  ASSERT_NO_FATAL_FAILURE(Connect(&authed));
  ASSERT_EQ(Call(&authed, AuthRequest(kToken)), Response::Ok());

  TestClient pinger;
  ASSERT_NO_FATAL_FAILURE(Connect(&pinger));
  const auto start = Clock::now();
  bool closed = false;
  while (!closed && Clock::now() - start < std::chrono::seconds(5)) {
    std::optional<Response> pong = pinger.Call(PingRequest());
    closed = !pong;
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto lived = Clock::now() - start;
  EXPECT_TRUE(closed) << "a connection that only PINGs outlived --auth-timeout-ms";
  EXPECT_GE(lived, std::chrono::milliseconds(550));
  EXPECT_NE(server_->Log().find("not authenticated within 600 ms"), std::string::npos)
      << server_->LogTail();
  // The authenticated connection is not subject to it.
  EXPECT_EQ(Call(&authed, PingRequest("still")), Response::Ok({"still"}));
}

TEST_F(PreAuthTest, OldestUnauthenticatedConnectionIsDisplacedByANewOne) {
  ASSERT_NO_FATAL_FAILURE(StartWithToken({"--max-unauthenticated-connections", "3"}));
  TestClient authed;  // counts against max-connections only
  ASSERT_NO_FATAL_FAILURE(Connect(&authed));
  ASSERT_EQ(Call(&authed, AuthRequest(kToken)), Response::Ok());

  TestClient waiting[4];
  for (TestClient& c : waiting) {
    ASSERT_NO_FATAL_FAILURE(Connect(&c));
    ASSERT_EQ(Call(&c, PingRequest()), Response::Ok());  // accepted before the next
  }
  EXPECT_TRUE(waiting[0].WaitForClose(std::chrono::seconds(3))) << waiting[0].error();
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(Call(&waiting[i], AuthRequest(kToken)), Response::Ok()) << i;
  }
  EXPECT_EQ(Call(&authed, PutRequest("k", "v")), Response::OkVersion(1));
}

}  // namespace
}  // namespace cairn::server_test
