// AUTH (PROTOCOL.md section 2): with a token file, every request but PING
// and AUTH answers UNAUTHORIZED, and changes nothing, until AUTH succeeds on
// that connection. The token is the file's content without trailing
// whitespace.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using protocol::Response;
using protocol::StatusCode;

constexpr char kToken[] = "s3cret-Token";

class AuthTest : public CairndTest {
 protected:
  void SetUp() override {
    const std::string token_file = dir_.file("token");
    std::ofstream(token_file) << kToken << " \t\n\n";
    ASSERT_NO_FATAL_FAILURE(StartServer({"--auth-token-file", token_file}));
    ASSERT_NO_FATAL_FAILURE(Connect(&client_));
  }

  void ExpectUnauthorized(const protocol::Request& request) {
    Response response = Call(&client_, request);
    EXPECT_EQ(response.status, StatusCode::kUnauthorized)
        << protocol::OpcodeName(request.opcode) << ": " << testing::PrintToString(response);
    EXPECT_EQ(response.request_id, request.request_id);
    if (response.status == StatusCode::kUnauthorized) {
      EXPECT_FALSE(MessageOf(response).empty());
    }
  }

  TestClient client_;
};

std::vector<protocol::Request> GuardedRequests() {
  return {
      WithId(GetRequest("k"), 1),         WithId(PutRequest("k", "v"), 2),
      WithId(DeleteRequest("k"), 3),      WithId(DeleteRequest("k", 1), 4),
      WithId(CasRequest("k", 0, "v"), 5), WithId(BatchRequest({{false, "k", "v"}}), 6),
      WithId(ScanRequest("", "", 0), 7),  WithId(IncrRequest("n", 1), 8),
      WithId(StatsRequest(), 9),          WithId(SnapshotRequest(), 10),
  };
}

TEST_F(AuthTest, EverythingButPingAndAuthIsUnauthorizedUntilAuth) {
  for (const protocol::Request& request : GuardedRequests()) ExpectUnauthorized(request);
  EXPECT_EQ(Call(&client_, WithId(PingRequest("p"), 11)), (Response{StatusCode::kOk, 11, {"p"}}));
  EXPECT_EQ(Call(&client_, WithId(AuthRequest(kToken), 12)), (Response{StatusCode::kOk, 12, {}}));
  // Nothing the refused requests carried was written, nor took a version.
  EXPECT_EQ(Call(&client_, GetRequest("k")), Response::NotFound());
  EXPECT_EQ(Call(&client_, GetRequest("n")), Response::NotFound());
  EXPECT_EQ(Call(&client_, PutRequest("k", "v")), Response::OkVersion(1));
  EXPECT_EQ(Call(&client_, ScanRequest("", "", 0)), Response::OkScan({{"k", "v"}}, false));
  EXPECT_EQ(Call(&client_, StatsRequest()).status, StatusCode::kOk);
}

TEST_F(AuthTest, WrongTokenIsUnauthorized) {
  for (const std::string& wrong :
       {std::string("wrong"), std::string(""), std::string("s3cret-Toke"),
        std::string("s3cret-Token2"), std::string("S3CRET-TOKEN"), std::string(kToken) + " \t\n"}) {
    Response response = Call(&client_, WithId(AuthRequest(wrong), 21));
    EXPECT_EQ(response.status, StatusCode::kUnauthorized)
        << "token " << protocol::QuoteText(wrong) << ": " << testing::PrintToString(response);
    EXPECT_EQ(response.request_id, 21u);
    ExpectUnauthorized(WithId(GetRequest("k"), 22));
  }
  // The connection stays usable: the right token still works.
  EXPECT_EQ(Call(&client_, AuthRequest(kToken)), Response::Ok());
  EXPECT_EQ(Call(&client_, GetRequest("k")), Response::NotFound());
}

TEST_F(AuthTest, AuthIsPerConnection) {
  EXPECT_EQ(Call(&client_, AuthRequest(kToken)), Response::Ok());
  EXPECT_EQ(Call(&client_, PutRequest("k", "v")), Response::OkVersion(1));
  TestClient other;
  ASSERT_NO_FATAL_FAILURE(Connect(&other));
  Response response = Call(&other, GetRequest("k"));
  EXPECT_EQ(response.status, StatusCode::kUnauthorized) << testing::PrintToString(response);
  EXPECT_EQ(Call(&other, AuthRequest(kToken)), Response::Ok());
  EXPECT_EQ(Call(&other, GetRequest("k")), Response::OkValue("v", 1));
}

TEST_F(AuthTest, TextModeAuth) {
  TestClient text;
  ASSERT_NO_FATAL_FAILURE(Connect(&text));
  ASSERT_TRUE(
      text.SendRaw("GET k\nPUT k v\nPING\nAUTH wrong\nAUTH s3cret-Token\nPUT k v\nGET k\n"));
  for (const char* request : {"GET k", "PUT k v"}) {
    std::optional<std::string> line = text.ReadLine();
    ASSERT_TRUE(line) << text.error();
    EXPECT_EQ(line->substr(0, 13), "UNAUTHORIZED ") << request << " answered " << *line;
  }
  EXPECT_EQ(text.ReadLine(), "OK");
  std::optional<std::string> wrong = text.ReadLine();
  ASSERT_TRUE(wrong) << text.error();
  EXPECT_EQ(wrong->substr(0, 13), "UNAUTHORIZED ") << *wrong;
  EXPECT_EQ(text.ReadLine(), "OK");
  EXPECT_EQ(text.ReadLine(), "OK 1");
  EXPECT_EQ(text.ReadLine(), "OK 1 \"v\"");
}

}  // namespace
}  // namespace cairn::server_test
