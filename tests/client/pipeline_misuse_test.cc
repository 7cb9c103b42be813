// Misuse of a Pipeline and its Client (issue 14): a call on the Client while
// a pipeline round is open, a second pipeline, a Client moved or destroyed
// under its pipeline. Each is a kMisuse status, in every build type (these
// tests run with NDEBUG, where an assert would be silent), and the pipeline
// keeps every answer.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/pipeline.h"
#include "client/reply.h"
#include "client/requests.h"
#include "tests/client/client_test_util.h"

namespace cairn::client_test {
namespace {

constexpr int kRequests = 100;

class PipelineMisuseTest : public ClientTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }

  // Adds kRequests PUTs of k0..k99.
  void AddPuts(Pipeline* pipeline) {
    for (int i = 0; i < kRequests; ++i) {
      ASSERT_TRUE(Ok(pipeline->Add(PutRequest("k" + std::to_string(i), "v"))));
    }
  }
};

testing::AssertionResult IsMisuse(const Status& status) {
  if (status.code() == Code::kMisuse && !status.IsConnectionError() && !status.IsServerError()) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "expected MISUSE, got " << status.ToString();
}

TEST_F(PipelineMisuseTest, CallsOnTheClientDuringARoundAreRefusedAndTheRoundKeepsItsAnswers) {
  Client client(Options());
  std::vector<protocol::Response> answers;
  Pipeline pipeline(&client, [&](protocol::Response r) { answers.push_back(std::move(r)); });
  ASSERT_NO_FATAL_FAILURE(AddPuts(&pipeline));

  const Status get = client.Get("k0").status();
  EXPECT_TRUE(IsMisuse(get));
  EXPECT_NE(get.message().find("a call was made while a pipeline is open on this client"),
            std::string::npos)
      << get;
  EXPECT_TRUE(IsMisuse(client.Ping()));
  EXPECT_TRUE(IsMisuse(client.Call(PutRequest("other", "x")).status()));
  EXPECT_TRUE(IsMisuse(client.Connect()));
  EXPECT_TRUE(IsMisuse(client.Close()));
  ScanIterator scan = client.Scan(ScanRange::All());
  EXPECT_FALSE(scan.Valid());
  EXPECT_TRUE(IsMisuse(scan.status()));

  // Every request was written and answered meanwhile; the round is still
  // open until Finish().
  ASSERT_TRUE(Ok(pipeline.Flush()));
  EXPECT_TRUE(IsMisuse(client.Get("k0").status()));

  ASSERT_TRUE(Ok(pipeline.Finish()));
  ASSERT_EQ(answers.size(), static_cast<size_t>(kRequests));
  for (const protocol::Response& answer : answers) EXPECT_TRUE(Ok(ReadVersionReply(answer)));

  // After the round the Client is free again, and "other" was never sent.
  EXPECT_EQ(client.Get("k99").value()->value, "v");
  EXPECT_FALSE(client.Get("other").value().has_value());
  ASSERT_TRUE(Ok(pipeline.Add(GetRequest("k1"))));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  EXPECT_EQ(ReadGetReply(answers.back()).value()->value, "v");
}

TEST_F(PipelineMisuseTest, TheCallbackCannotCallTheClient) {
  Client client(Options());
  std::vector<Status> from_callback;
  Pipeline pipeline(&client, [&](protocol::Response) { from_callback.push_back(client.Ping()); });
  ASSERT_NO_FATAL_FAILURE(AddPuts(&pipeline));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  ASSERT_EQ(from_callback.size(), static_cast<size_t>(kRequests));
  for (const Status& status : from_callback) EXPECT_TRUE(IsMisuse(status));
  EXPECT_EQ(pipeline.answered(), static_cast<size_t>(kRequests));
}

TEST_F(PipelineMisuseTest, ASecondPipelineWaitsForTheFirstRoundToFinish) {
  Client client(Options());
  Pipeline first(&client, [](protocol::Response) {});
  Pipeline second(&client, [](protocol::Response) {});
  ASSERT_NO_FATAL_FAILURE(AddPuts(&first));
  EXPECT_TRUE(IsMisuse(second.Add(GetRequest("k0"))));
  EXPECT_TRUE(Ok(second.Finish()));  // it had no round
  ASSERT_TRUE(Ok(first.Finish()));
  EXPECT_EQ(first.answered(), static_cast<size_t>(kRequests));

  std::string got;
  Pipeline third(&client, [&](protocol::Response r) { got = ReadGetReply(r).value()->value; });
  ASSERT_TRUE(Ok(third.Add(GetRequest("k0"))));
  ASSERT_TRUE(Ok(third.Finish()));
  EXPECT_EQ(got, "v");
}

TEST_F(PipelineMisuseTest, DestroyingAPipelineInMidRoundFreesTheClient) {
  Client client(Options());
  {
    Pipeline pipeline(&client, [](protocol::Response) {});
    ASSERT_NO_FATAL_FAILURE(AddPuts(&pipeline));
  }
  EXPECT_TRUE(Ok(client.Ping()));
}

TEST_F(PipelineMisuseTest, DestroyingTheClientDetachesThePipeline) {
  auto client = std::make_unique<Client>(Options());
  Pipeline pipeline(client.get(), [](protocol::Response) {});
  ASSERT_NO_FATAL_FAILURE(AddPuts(&pipeline));
  client.reset();
  EXPECT_TRUE(IsMisuse(pipeline.Add(GetRequest("k0"))));
  EXPECT_TRUE(IsMisuse(pipeline.Flush()));
  EXPECT_TRUE(IsMisuse(pipeline.Finish()));
  EXPECT_TRUE(IsMisuse(pipeline.Add(GetRequest("k0"))));
}  // ~Pipeline must not touch the destroyed Client

TEST_F(PipelineMisuseTest, MovingTheClientDetachesThePipelineAndTheMovedClientWorks) {
  Client client(Options());
  Pipeline pipeline(&client, [](protocol::Response) {});
  ASSERT_NO_FATAL_FAILURE(AddPuts(&pipeline));
  Client moved(std::move(client));
  EXPECT_TRUE(IsMisuse(pipeline.Add(GetRequest("k0"))));
  EXPECT_TRUE(IsMisuse(pipeline.Finish()));
  // The round's requests were never written; the moved Client starts clean.
  EXPECT_TRUE(Ok(moved.Ping()));
  EXPECT_FALSE(moved.Get("k0").value().has_value());

  // Move assignment detaches the pipelines of both sides.
  Client target(Options());
  Pipeline on_target(&target, [](protocol::Response) {});
  Pipeline on_moved(&moved, [](protocol::Response) {});
  target = std::move(moved);
  EXPECT_TRUE(IsMisuse(on_target.Add(PingRequest())));
  EXPECT_TRUE(IsMisuse(on_moved.Add(PingRequest())));
  EXPECT_TRUE(Ok(target.Ping()));
}

}  // namespace
}  // namespace cairn::client_test
