// After the server restarts, the client connects again on the next call:
// without an error when the old connection was idle (nothing was in flight),
// with the session's AUTH replayed.
#include <gtest/gtest.h>

#include <string>

#include "client/client.h"
#include "client/pipeline.h"
#include "client/requests.h"
#include "tests/client/client_test_util.h"

namespace cairn::client_test {
namespace {

class ClientReconnectTest : public ClientTest {};

TEST_F(ClientReconnectTest, IdleConnectionSurvivesAGracefulRestart) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Client client(Options());
  const uint64_t version = client.Put("k", "v").value();
  ASSERT_TRUE(server_->Stop());
  ASSERT_TRUE(server_->Start());

  Result<std::optional<Versioned>> got = client.Get("k");
  ASSERT_TRUE(Ok(got));
  EXPECT_EQ(*got.value(), (Versioned{"v", version}));
}

TEST_F(ClientReconnectTest, IdleConnectionSurvivesAKilledServer) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Client client(Options());
  ASSERT_TRUE(Ok(client.Put("k", "v")));
  server_->Kill();
  ASSERT_TRUE(server_->Start());
  EXPECT_TRUE(Ok(client.Put("k", "v2")));
  EXPECT_EQ(client.Get("k").value()->value, "v2");
}

TEST_F(ClientReconnectTest, CallsFailWhileTheServerIsDownAndWorkOnceItIsBack) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Client client(Options());
  ASSERT_TRUE(Ok(client.Ping()));
  ASSERT_TRUE(server_->Stop());

  Status down = client.Ping();
  EXPECT_EQ(down.code(), Code::kConnectFailed) << down;
  EXPECT_EQ(client.Put("k", "v").status().code(), Code::kConnectFailed);

  ASSERT_TRUE(server_->Start());
  EXPECT_TRUE(Ok(client.Ping()));
  EXPECT_TRUE(Ok(client.Put("k", "v")));
}

TEST_F(ClientReconnectTest, AcceptedAuthIsReplayedOnReconnect) {
  TempDir dir;
  WriteFile(dir.file("token"), "t0ken-of-16-bytes");
  ASSERT_NO_FATAL_FAILURE(StartServer({"--auth-token-file", dir.file("token")}));
  Client client(Options());  // no token in the options
  ASSERT_TRUE(Ok(client.Auth("t0ken-of-16-bytes")));
  ASSERT_TRUE(Ok(client.Put("k", "v")));

  server_->Kill();
  ASSERT_TRUE(server_->Start());
  EXPECT_TRUE(Ok(client.Get("k")));
}

TEST_F(ClientReconnectTest, PipelineAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Client client(Options());
  ASSERT_TRUE(Ok(client.Ping()));
  ASSERT_TRUE(server_->Stop());
  ASSERT_TRUE(server_->Start());

  size_t answers = 0;
  Pipeline pipeline(&client, [&](protocol::Response) { ++answers; });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Ok(pipeline.Add(PutRequest("k", "v"))));
  EXPECT_TRUE(Ok(pipeline.Finish()));
  EXPECT_EQ(answers, 10u);
}

}  // namespace
}  // namespace cairn::client_test
