// AUTH (docs/protocol.md section 3): with a token file, every request but PING
// and AUTH answers UNAUTHORIZED, and changes nothing, until AUTH succeeds on
// that connection. The token is the file's content without trailing
// whitespace, at least 16 bytes. The 10th failed AUTH on a connection closes
// it; each failure is logged with the peer's address. Without a token file,
// AUTH answers BAD_REQUEST.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using protocol::Response;
using protocol::StatusCode;

constexpr char kToken[] = "s3cret-Token-0123";  // 17 bytes

// Writes content to dir/token with the given mode; returns its path.
std::string WriteTokenFile(const TempDir& dir, const std::string& content, mode_t mode) {
  const std::string path = dir.file("token");
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
  return path;
}

class AuthTest : public CairndTest {
 protected:
  void SetUp() override {
    const std::string token_file = WriteTokenFile(dir_, std::string(kToken) + " \t\n\n", 0600);
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
  const std::string token = kToken;
  for (const std::string& wrong :
       {std::string("wrong"), std::string(""), token.substr(0, token.size() - 1), token + "2",
        std::string("S3CRET-TOKEN-0123"), token + " \t\n"}) {
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
  ASSERT_TRUE(text.SendRaw("GET k\nPUT k v\nPING\nAUTH wrong\nAUTH " + std::string(kToken) +
                           "\nPUT k v\nGET k\n"));
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

// Guessing is bounded per connection: the 10th failure is answered, then the
// connection closes; every failure is logged with the peer's address.
TEST_F(AuthTest, TenthFailedAuthClosesTheConnection) {
  for (int i = 1; i <= 9; ++i) {
    Response response = Call(&client_, WithId(AuthRequest("guess-" + std::to_string(i)), i));
    ASSERT_EQ(response.status, StatusCode::kUnauthorized) << testing::PrintToString(response);
  }
  Response last = Call(&client_, WithId(AuthRequest("guess-10"), 10));
  EXPECT_EQ(last.status, StatusCode::kUnauthorized) << testing::PrintToString(last);
  EXPECT_NE(MessageOf(last).find("too many failed AUTH"), std::string::npos)
      << testing::PrintToString(last);
  EXPECT_TRUE(client_.WaitForClose(std::chrono::seconds(5))) << client_.error();

  // Other connections are not affected, and the right token still works.
  TestClient other;
  ASSERT_NO_FATAL_FAILURE(Connect(&other));
  EXPECT_EQ(Call(&other, AuthRequest(kToken)), Response::Ok());
  const std::string log = server_->Log();
  size_t failures = 0;
  for (size_t at = log.find("AUTH failed"); at != std::string::npos;
       at = log.find("AUTH failed", at + 1)) {
    ++failures;
  }
  EXPECT_EQ(failures, 10u) << server_->LogTail();
  EXPECT_TRUE(std::regex_search(log, std::regex("connection 127\\.0\\.0\\.1:[0-9]+: AUTH failed")))
      << server_->LogTail();
}

class NoTokenAuthTest : public CairndTest {};

// Like Redis's "AUTH <password> called without any password configured": a
// client that believes it authenticates is told it does not.
TEST_F(NoTokenAuthTest, AuthWithoutATokenConfiguredIsBadRequest) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  Response response = Call(&client, WithId(AuthRequest("anything-at-all!"), 7));
  EXPECT_EQ(response.status, StatusCode::kBadRequest) << testing::PrintToString(response);
  EXPECT_EQ(response.request_id, 7u);
  EXPECT_EQ(MessageOf(response),
            "AUTH called without any token configured (cairnd has no --auth-token-file)");
  // Nothing else changes: requests are served as before.
  EXPECT_EQ(Call(&client, PutRequest("k", "v")), Response::OkVersion(1));

  TestClient text;
  ASSERT_NO_FATAL_FAILURE(Connect(&text));
  ASSERT_TRUE(text.SendRaw("AUTH x\n"));
  EXPECT_EQ(text.ReadLine(),
            "BAD_REQUEST AUTH called without any token configured (cairnd has no "
            "--auth-token-file)");
}

TEST(AuthStartupTest, TokenShorterThan16BytesStopsStartup) {
  TempDir dir;
  const std::string token_file = WriteTokenFile(dir, std::string(15, 'x') + "\n", 0600);
  CairndProcess server(dir.path(), {"--auth-token-file", token_file});
  ASSERT_TRUE(server.Spawn());
  std::optional<ExitStatus> status = server.WaitExit(std::chrono::seconds(10));
  const std::string log = server.Log();
  ASSERT_TRUE(status) << "cairnd serves with a 15-byte token\n" << log;
  EXPECT_TRUE(status->exited && status->code == 1) << status->ToString();
  EXPECT_NE(log.find(token_file), std::string::npos) << log;
  EXPECT_NE(log.find("at least 16 bytes"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(dir.file("port")));
}

TEST(AuthStartupTest, TokenOf16BytesIsAccepted) {
  TempDir dir;
  const std::string token_file = WriteTokenFile(dir, std::string(16, 'x') + "\n", 0600);
  CairndProcess server(dir.path(), {"--auth-token-file", token_file});
  ASSERT_TRUE(server.Start());
  TestClient client;
  ASSERT_TRUE(client.Connect(server.port())) << client.error();
  EXPECT_EQ(Call(&client, AuthRequest(std::string(16, 'x'))), Response::Ok());
  EXPECT_EQ(server.Log().find("readable by group or others"), std::string::npos)
      << server.LogTail();
}

TEST(AuthStartupTest, TokenFileReadableByOthersIsWarnedAbout) {
  TempDir dir;
  const std::string token_file = WriteTokenFile(dir, std::string(20, 'y') + "\n", 0644);
  CairndProcess server(dir.path(), {"--auth-token-file", token_file});
  ASSERT_TRUE(server.Start());
  const std::string log = server.Log();
  EXPECT_NE(log.find("--auth-token-file " + token_file + " is readable by group or others"),
            std::string::npos)
      << server.LogTail();
}

}  // namespace
}  // namespace cairn::server_test
