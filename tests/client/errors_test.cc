// Errors reach the caller with the right Code: server errors (the answer's
// status and message, connection kept) and connection errors (raised by the
// client, connection dropped, the next call reconnects).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "client/client.h"
#include "tests/client/client_test_util.h"
#include "tests/client/fake_server.h"

namespace cairn::client_test {
namespace {

using protocol::Response;
using protocol::StatusCode;

class ClientServerErrorsTest : public ClientTest {};

TEST_F(ClientServerErrorsTest, ValueOverTheLimitIsTooLargeAndKeepsTheConnection) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max-value-bytes", "1024", "--max-key-bytes", "16"}));
  Client client(Options());
  ASSERT_TRUE(Ok(client.Put("k", std::string(1024, 'v'))));

  Result<uint64_t> put = client.Put("k", std::string(1025, 'v'));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), Code::kTooLarge);
  EXPECT_TRUE(put.status().IsServerError());
  EXPECT_FALSE(put.status().IsConnectionError());
  EXPECT_FALSE(put.status().message().empty());

  Result<uint64_t> long_key = client.Put(std::string(17, 'k'), "v");
  EXPECT_EQ(long_key.status().code(), Code::kTooLarge);

  // The same connection answered everything.
  Result<nlohmann::json> stats = client.Stats();
  ASSERT_TRUE(Ok(stats));
  EXPECT_EQ(stats.value()["connections_total"], 1);
}

TEST_F(ClientServerErrorsTest, RequestOverMaxFrameBytesIsRefusedWithoutSending) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ClientOptions options = Options();
  options.max_frame_bytes = 1000;
  Client client(options);
  Result<uint64_t> put = client.Put("k", std::string(2000, 'v'));
  EXPECT_EQ(put.status().code(), Code::kTooLarge);
  EXPECT_NE(put.status().message().find("not sent"), std::string::npos) << put.status();
  EXPECT_FALSE(client.Get("k").value().has_value());
  EXPECT_TRUE(Ok(client.Put("k", std::string(900, 'v'))));
}

TEST_F(ClientServerErrorsTest, IncrOfTextIsTypeErrorAndWritesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Client client(Options());
  const uint64_t version = client.Put("k", "not a number").value();
  Result<IncrResult> incr = client.Incr("k");
  EXPECT_EQ(incr.status().code(), Code::kTypeError);
  EXPECT_EQ(*client.Get("k").value(), (Versioned{"not a number", version}));

  ASSERT_TRUE(Ok(client.Put("max", "9223372036854775807")));
  EXPECT_EQ(client.Incr("max").status().code(), Code::kTypeError);  // overflow
}

TEST_F(ClientServerErrorsTest, EmptyBatchIsBadRequestWithoutSending) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Client client(Options());
  Result<uint64_t> empty = client.Batch(WriteBatch());
  EXPECT_EQ(empty.status().code(), Code::kBadRequest);
  EXPECT_NE(empty.status().message().find("not sent"), std::string::npos) << empty.status();
  EXPECT_TRUE(Ok(client.Ping()));
}

class ClientAuthTest : public ClientTest {
 protected:
  void SetUp() override {
    token_file_ = dir_.file("token");
    WriteFile(token_file_, "s3cret-client-token\n");  // trailing whitespace is not part of it
    ASSERT_NO_FATAL_FAILURE(StartServer({"--auth-token-file", token_file_}));
  }
  TempDir dir_;
  std::string token_file_;
};

TEST_F(ClientAuthTest, UnauthenticatedCallsAreUnauthorizedExceptPing) {
  Client client(Options());
  EXPECT_TRUE(Ok(client.Ping()));
  Result<std::optional<Versioned>> get = client.Get("k");
  EXPECT_EQ(get.status().code(), Code::kUnauthorized);
  EXPECT_TRUE(get.status().IsServerError());

  EXPECT_EQ(client.Auth("wrong").code(), Code::kUnauthorized);
  EXPECT_TRUE(Ok(client.Auth("s3cret-client-token")));
  EXPECT_TRUE(Ok(client.Put("k", "v")));
}

TEST_F(ClientAuthTest, TokenInOptionsAuthenticatesEveryConnection) {
  ClientOptions options = Options();
  options.auth_token = "s3cret-client-token";
  Client client(options);
  EXPECT_TRUE(Ok(client.Put("k", "v")));

  options.auth_token = "wrong";
  Client refused(options);
  Status status = refused.Connect();
  EXPECT_EQ(status.code(), Code::kUnauthorized) << status;
  EXPECT_EQ(refused.Get("k").status().code(), Code::kUnauthorized);
}

TEST_F(ClientServerErrorsTest, OverTheConnectionLimitIsBusyThenRecovers) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max-connections", "1"}));
  Client first(Options());
  ASSERT_TRUE(Ok(first.Ping()));
  Client second(Options());
  Status busy = second.Ping();
  EXPECT_EQ(busy.code(), Code::kBusy) << busy;

  first.Close();
  // The server closed the second connection after BUSY; a later call opens a
  // new one, which is served once the server has seen the first one go.
  Status status;
  for (int i = 0; i < 100; ++i) {
    status = second.Ping();
    if (status.ok()) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(Ok(status));
}

TEST(ClientConnectionErrorsTest, RefusedConnectionIsConnectFailed) {
  ClientOptions options;
  options.port = test::UnusedPort();
  Client client(options);
  Status status = client.Ping();
  EXPECT_EQ(status.code(), Code::kConnectFailed);
  EXPECT_TRUE(status.IsConnectionError());
  EXPECT_FALSE(status.IsServerError());
  EXPECT_NE(status.message().find("refused"), std::string::npos) << status;
  EXPECT_NE(status.message().find(std::to_string(options.port)), std::string::npos) << status;
}

ClientOptions FakeOptions(const FakeServer& server) {
  ClientOptions options;
  options.port = server.port();
  options.io_timeout = 300ms;
  return options;
}

TEST(ClientConnectionErrorsTest, EveryServerStatusMapsToItsCode) {
  const std::vector<std::pair<StatusCode, Code>> cases = {
      {StatusCode::kBadRequest, Code::kBadRequest},
      {StatusCode::kUnknownOpcode, Code::kUnknownOpcode},
      {StatusCode::kTooLarge, Code::kTooLarge},
      {StatusCode::kTypeError, Code::kTypeError},
      {StatusCode::kUnauthorized, Code::kUnauthorized},
      {StatusCode::kIoError, Code::kIoError},
      {StatusCode::kReadOnly, Code::kReadOnly},
      {StatusCode::kBusy, Code::kBusy},
      {StatusCode::kShuttingDown, Code::kShuttingDown},
  };
  size_t next = 0;
  FakeServer server([&](const protocol::FrameHeader& request) {
    const StatusCode status = cases[next++].first;
    return FakeServer::Action{
        .reply = FakeServer::Answer(request, Response::Failure(status, "because")), .close = false};
  });
  Client client(FakeOptions(server));
  for (const auto& [wire, code] : cases) {
    Result<uint64_t> put = client.Put("k", "v");
    EXPECT_EQ(put.status(), Status(code, "because"));
    EXPECT_EQ(CodeName(code), protocol::StatusName(wire));
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(ClientConnectionErrorsTest, SilentServerIsTimeoutAndTheNextCallReconnects) {
  int requests = 0;
  FakeServer server([&](const protocol::FrameHeader& request) {
    if (requests++ == 0) return FakeServer::Action{};  // never answers the first
    return FakeServer::Action{.reply = FakeServer::Answer(request, Response::Ok()), .close = false};
  });
  Client client(FakeOptions(server));
  const auto start = std::chrono::steady_clock::now();
  Status status = client.Ping();
  EXPECT_EQ(status.code(), Code::kTimeout) << status;
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_TRUE(Ok(client.Ping()));
  EXPECT_EQ(server.connections(), 2);
}

TEST(ClientConnectionErrorsTest, CloseBeforeTheAnswerIsConnectionLost) {
  int requests = 0;
  FakeServer server([&](const protocol::FrameHeader& request) {
    if (requests++ == 0) return FakeServer::Action{.reply = "", .close = true};
    return FakeServer::Action{.reply = FakeServer::Answer(request, Response::OkVersion(7)),
                              .close = false};
  });
  Client client(FakeOptions(server));
  Result<uint64_t> lost = client.Put("k", "v");
  EXPECT_EQ(lost.status().code(), Code::kConnectionLost) << lost.status();
  Result<uint64_t> retried = client.Put("k", "v");
  ASSERT_TRUE(Ok(retried));
  EXPECT_EQ(retried.value(), 7u);
}

TEST(ClientConnectionErrorsTest, GarbageIsProtocolError) {
  FakeServer server([](const protocol::FrameHeader&) {
    return FakeServer::Action{.reply = "HTTP/1.1 400 Bad Request\r\n\r\n", .close = false};
  });
  Client client(FakeOptions(server));
  Status status = client.Ping();
  EXPECT_EQ(status.code(), Code::kProtocolError) << status;
  EXPECT_TRUE(status.IsConnectionError());
}

TEST(ClientConnectionErrorsTest, AnswerWithAnotherRequestIdIsProtocolError) {
  FakeServer server([](protocol::FrameHeader request) {
    ++request.request_id;
    return FakeServer::Action{.reply = FakeServer::Answer(request, Response::Ok()), .close = false};
  });
  Client client(FakeOptions(server));
  Status status = client.Ping();
  EXPECT_EQ(status.code(), Code::kProtocolError) << status;
  EXPECT_NE(status.message().find("request id"), std::string::npos) << status;
}

TEST(ClientConnectionErrorsTest, OkAnswerOfTheWrongShapeIsProtocolError) {
  FakeServer server([](const protocol::FrameHeader& request) {
    return FakeServer::Action{.reply = FakeServer::Answer(request, Response::Ok({"x"})),
                              .close = false};
  });
  Client client(FakeOptions(server));
  EXPECT_EQ(client.Get("k").status().code(), Code::kProtocolError);
  EXPECT_EQ(client.Put("k", "v").status().code(), Code::kProtocolError);
  EXPECT_EQ(client.Incr("k").status().code(), Code::kProtocolError);
  EXPECT_EQ(client.Stats().status().code(), Code::kProtocolError);  // "x" is not JSON
}

}  // namespace
}  // namespace cairn::client_test
