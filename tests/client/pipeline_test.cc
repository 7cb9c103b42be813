// Pipelining: many requests written without waiting, answers delivered in
// request order; large volumes, flow control, and failures mid-way.
#include "client/pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/requests.h"
#include "tests/client/client_test_util.h"
#include "tests/client/fake_server.h"

namespace cairn::client_test {
namespace {

std::string Key(int i) { return "key:" + std::to_string(i); }
std::string Value(int i) { return "value:" + std::to_string(i * 7); }

class ClientPipelineTest : public ClientTest {};

TEST_F(ClientPipelineTest, HundredThousandPutsThenGetsInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--fsync", "never"}));
  constexpr int kCount = 100000;
  Client client(Options());

  std::vector<protocol::Response> answers;
  answers.reserve(kCount);
  Pipeline pipeline(&client, [&](protocol::Response r) { answers.push_back(std::move(r)); });
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCount; ++i) ASSERT_TRUE(Ok(pipeline.Add(PutRequest(Key(i), Value(i)))));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  const auto puts_done = std::chrono::steady_clock::now();
  ASSERT_EQ(answers.size(), static_cast<size_t>(kCount));
  uint64_t last_version = 0;
  for (const protocol::Response& answer : answers) {
    Result<uint64_t> version = ReadVersionReply(answer);
    ASSERT_TRUE(Ok(version));
    ASSERT_GT(version.value(), last_version);  // committed in the order sent
    last_version = version.value();
  }

  answers.clear();
  for (int i = 0; i < kCount; ++i) ASSERT_TRUE(Ok(pipeline.Add(GetRequest(Key(i)))));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  const auto gets_done = std::chrono::steady_clock::now();
  ASSERT_EQ(answers.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    Result<std::optional<Versioned>> got = ReadGetReply(answers[i]);
    ASSERT_TRUE(Ok(got));
    ASSERT_TRUE(got.value().has_value()) << Key(i);
    ASSERT_EQ(got.value()->value, Value(i)) << Key(i);
  }
  EXPECT_EQ(pipeline.sent(), 2u * kCount);
  EXPECT_EQ(pipeline.answered(), 2u * kCount);
  using Ms = std::chrono::milliseconds;
  std::cout << "100000 pipelined PUTs: "
            << std::chrono::duration_cast<Ms>(puts_done - start).count()
            << " ms; 100000 pipelined GETs: "
            << std::chrono::duration_cast<Ms>(gets_done - puts_done).count() << " ms\n";
}

TEST_F(ClientPipelineTest, AnswersFollowTheOrderOfMixedRequests) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Client client(Options());
  std::vector<protocol::Response> answers;
  Pipeline pipeline(&client, [&](protocol::Response r) { answers.push_back(std::move(r)); });
  ASSERT_TRUE(Ok(pipeline.Add(GetRequest("n"))));
  ASSERT_TRUE(Ok(pipeline.Add(IncrRequest("n", 5))));
  ASSERT_TRUE(Ok(pipeline.Add(GetRequest("n"))));
  ASSERT_TRUE(Ok(pipeline.Add(CasRequest("n", 999, "x"))));
  ASSERT_TRUE(Ok(pipeline.Add(DelRequest("n"))));
  ASSERT_TRUE(Ok(pipeline.Add(GetRequest("n"))));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  ASSERT_EQ(answers.size(), 6u);
  EXPECT_FALSE(ReadGetReply(answers[0]).value().has_value());
  EXPECT_EQ(ReadIncrReply(answers[1]).value().value, 5);
  EXPECT_EQ(ReadGetReply(answers[2]).value()->value, "5");
  EXPECT_FALSE(ReadCondReply(answers[3]).value().applied);
  EXPECT_TRUE(ReadCondReply(answers[4]).value().applied);
  EXPECT_FALSE(ReadGetReply(answers[5]).value().has_value());
}

TEST_F(ClientPipelineTest, LargeValuesDoNotDeadlockUnderServerFlowControl) {
  // The server stops reading a connection with 1 MiB of work in flight; the
  // pipeline must keep reading answers while it writes.
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--fsync", "never", "--max-pending-bytes-per-connection", "1048576"}));
  Client client(Options());
  const std::string big(512 * 1024, 'x');
  size_t bytes_back = 0;
  Pipeline pipeline(&client, [&](protocol::Response r) {
    for (const std::string& field : r.fields) bytes_back += field.size();
  });
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(Ok(pipeline.Add(PutRequest(Key(i), big))));
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(Ok(pipeline.Add(GetRequest(Key(i)))));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  EXPECT_EQ(pipeline.answered(), 128u);
  EXPECT_GE(bytes_back, 64 * big.size());
}

TEST_F(ClientPipelineTest, OversizedRequestIsRefusedAloneAndClientCallsWorkBetweenRounds) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ClientOptions options = Options();
  options.max_frame_bytes = 4096;
  Client client(options);
  std::vector<protocol::Response> answers;
  Pipeline pipeline(&client, [&](protocol::Response r) { answers.push_back(std::move(r)); });
  ASSERT_TRUE(Ok(pipeline.Add(PutRequest("a", "1"))));
  EXPECT_EQ(pipeline.Add(PutRequest("b", std::string(8192, 'x'))).code(), Code::kTooLarge);
  ASSERT_TRUE(Ok(pipeline.Add(PutRequest("c", "3"))));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  EXPECT_EQ(answers.size(), 2u);
  EXPECT_EQ(pipeline.sent(), 2u);

  EXPECT_EQ(client.Get("c").value()->value, "3");  // between rounds
  ASSERT_TRUE(Ok(pipeline.Add(GetRequest("a"))));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  EXPECT_EQ(ReadGetReply(answers.back()).value()->value, "1");
}

TEST(ClientPipelineFailureTest, ConnectionLostMidwayEndsTheRoundAndTellsWhatWasAnswered) {
  int requests = 0;
  FakeServer server([&](const protocol::FrameHeader& request) {
    if (++requests == 4) return FakeServer::Action{.reply = "", .close = true};
    return FakeServer::Action{.reply = FakeServer::Answer(request, protocol::Response::Ok()),
                              .close = false};
  });
  ClientOptions options;
  options.port = server.port();
  Client client(options);
  size_t answers = 0;
  Pipeline pipeline(&client, [&](protocol::Response) { ++answers; });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Ok(pipeline.Add(PingRequest())));
  Status status = pipeline.Finish();
  EXPECT_EQ(status.code(), Code::kConnectionLost) << status;
  EXPECT_EQ(pipeline.answered(), 3u);
  EXPECT_EQ(answers, 3u);

  // A new round starts on a new connection.
  ASSERT_TRUE(Ok(pipeline.Add(PingRequest())));
  EXPECT_TRUE(Ok(pipeline.Finish()));
  EXPECT_EQ(server.connections(), 2);
}

TEST(ClientPipelineFailureTest, UnreachableServerFailsTheRound) {
  ClientOptions options;
  options.port = test::UnusedPort();
  Client client(options);
  Pipeline pipeline(&client, [](protocol::Response) {});
  EXPECT_EQ(pipeline.Add(PingRequest()).code(), Code::kConnectFailed);
  EXPECT_EQ(pipeline.Add(PingRequest()).code(), Code::kConnectFailed);  // sticky
  EXPECT_EQ(pipeline.Finish().code(), Code::kConnectFailed);
  EXPECT_EQ(pipeline.sent(), 0u);
}

}  // namespace
}  // namespace cairn::client_test
