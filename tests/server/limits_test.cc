// Configured limits of cairnd: --max-connections (BUSY, then close),
// --idle-timeout-s, --frame-timeout-ms as a deadline for a whole request,
// --write-timeout-ms for answers that do not drain, --max-frame-bytes
// bounding SCAN answers, and the BATCH operation limit.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/frame.h"
#include "protocol/request.h"
#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using protocol::Response;
using protocol::StatusCode;
using Clock = std::chrono::steady_clock;

class LimitsTest : public CairndTest {};

TEST_F(LimitsTest, ConnectionOverTheLimitGetsBusyAndIsClosed) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max-connections", "2"}));
  TestClient a, b;
  ASSERT_NO_FATAL_FAILURE(Connect(&a));
  ASSERT_NO_FATAL_FAILURE(Connect(&b));
  ASSERT_EQ(Call(&a, PingRequest()), Response::Ok());
  ASSERT_EQ(Call(&b, PingRequest()), Response::Ok());

  {
    SCOPED_TRACE("binary");
    TestClient over;
    ASSERT_NO_FATAL_FAILURE(Connect(&over));
    Response response = Call(&over, WithId(PingRequest(), 77));
    EXPECT_EQ(response.status, StatusCode::kBusy) << testing::PrintToString(response);
    EXPECT_EQ(response.request_id, 77u);
    if (response.status == StatusCode::kBusy) {
      EXPECT_FALSE(MessageOf(response).empty());
    }
    EXPECT_TRUE(over.WaitForClose(std::chrono::seconds(3))) << over.error();
  }
  {
    SCOPED_TRACE("text");
    TestClient over;
    ASSERT_NO_FATAL_FAILURE(Connect(&over));
    ASSERT_TRUE(over.SendRaw("PING\n"));
    std::optional<std::string> line = over.ReadLine();
    ASSERT_TRUE(line) << over.error();
    EXPECT_EQ(line->substr(0, 5), "BUSY ") << *line;
    EXPECT_TRUE(over.WaitForClose(std::chrono::seconds(3))) << over.error();
  }
  {
    SCOPED_TRACE("silent");
    TestClient over;
    ASSERT_NO_FATAL_FAILURE(Connect(&over));
    std::string ignored;
    EXPECT_TRUE(over.WaitForClose(std::chrono::seconds(4), &ignored)) << over.error();
  }
  // The connections within the limit were not disturbed.
  EXPECT_EQ(Call(&a, PingRequest("a")), Response::Ok({"a"}));
  EXPECT_EQ(Call(&b, PingRequest("b")), Response::Ok({"b"}));

  // Closing one frees its slot.
  a.Close();
  bool served = false;
  for (auto deadline = Clock::now() + std::chrono::seconds(3);
       !served && Clock::now() < deadline;) {
    TestClient next;
    ASSERT_NO_FATAL_FAILURE(Connect(&next));
    std::optional<Response> response = next.Call(PingRequest());
    served = response && response->status == StatusCode::kOk;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(served) << "a slot freed by a closed connection was not reused";
}

TEST_F(LimitsTest, IdleConnectionIsClosedAndActiveOneIsNot) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--idle-timeout-s", "1"}));
  TestClient idle, active;
  ASSERT_NO_FATAL_FAILURE(Connect(&idle));
  ASSERT_NO_FATAL_FAILURE(Connect(&active));
  ASSERT_EQ(Call(&idle, PingRequest()), Response::Ok());

  std::atomic<int> active_failures{0};
  std::thread keep_busy([&] {
    for (int i = 0; i < 10; ++i) {  // 2 s of a request every 200 ms
      std::optional<Response> response = active.Call(PingRequest());
      if (!response || response->status != StatusCode::kOk) ++active_failures;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  const auto start = Clock::now();
  std::string received;
  EXPECT_TRUE(idle.WaitForClose(std::chrono::seconds(4), &received)) << idle.error();
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(800)) << "closed before the idle timeout";
  keep_busy.join();
  EXPECT_EQ(active_failures.load(), 0) << "an active connection was closed as idle";
}

TEST_F(LimitsTest, StalledPartialFrameOrLineIsClosedAfterTheFrameTimeout) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--frame-timeout-ms", "300"}));
  // Between whole frames a connection is not stalled: it must outlive this.
  TestClient between;
  ASSERT_NO_FATAL_FAILURE(Connect(&between));
  ASSERT_EQ(Call(&between, PingRequest()), Response::Ok());
  const auto between_since = Clock::now();

  std::string ping;
  protocol::EncodeRequest(PingRequest("x"), &ping);
  const std::string header_only =
      RawFrame(protocol::kRequestMagic, protocol::kProtocolVersion, 0x01, 0, 1, 10, "abc");
  struct Case {
    const char* what;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"5 bytes of a header", ping.substr(0, 5)},
      {"a header and 3 of 10 body bytes", header_only},
      {"a text line without its newline", "GET ke"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    ASSERT_TRUE(client.SendRaw(c.bytes)) << client.error();
    const auto start = Clock::now();
    std::string received;  // an error answer before the close is allowed
    EXPECT_TRUE(client.WaitForClose(std::chrono::seconds(3), &received)) << client.error();
    EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(250))
        << "closed before the frame timeout";
  }
  std::this_thread::sleep_until(between_since + std::chrono::milliseconds(1000));
  EXPECT_EQ(Call(&between, PingRequest("still")), Response::Ok({"still"}));
}

// A slow loris that keeps sending, one byte well within the old inter-byte
// gap at a time, is closed once the request is not whole by the deadline.
TEST_F(LimitsTest, RequestTrickledPastTheFrameTimeoutIsClosed) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--frame-timeout-ms", "600"}));
  std::string put;
  protocol::EncodeRequest(PutRequest("key", std::string(64, 'v')), &put);
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  const auto start = Clock::now();
  bool closed = false;
  for (size_t i = 0; i + 1 < put.size() && !closed; ++i) {
    closed = !client.SendRaw(put.substr(i, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!closed && Clock::now() - start > std::chrono::milliseconds(900)) {
      std::string received;
      closed = client.WaitForClose(std::chrono::milliseconds(1), &received);
    }
  }
  EXPECT_TRUE(closed)
      << "a request trickled for "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
      << " ms was not closed";
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(550));
  EXPECT_NE(server_->Log().find("request not whole 600 ms after its first byte"), std::string::npos)
      << server_->LogTail();
  // Whole requests, one after another, are never late however long the
  // connection lives.
  TestClient steady;
  ASSERT_NO_FATAL_FAILURE(Connect(&steady));
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(Call(&steady, PingRequest()), Response::Ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST_F(LimitsTest, ConnectionWhoseAnswersDoNotDrainIsClosed) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--write-timeout-ms", "500"}));
  TestClient writer;
  ASSERT_NO_FATAL_FAILURE(Connect(&writer));
  ASSERT_EQ(Call(&writer, PutRequest("big", std::string(1 << 20, 'b'))), Response::OkVersion(1));

  TestClient reader;  // asks for 64 MiB of answers and never reads
  ASSERT_NO_FATAL_FAILURE(Connect(&reader));
  std::string gets;
  for (int i = 0; i < 64; ++i) protocol::EncodeRequest(GetRequest("big"), &gets);
  ASSERT_TRUE(reader.SendRaw(gets));
  std::string log;
  for (auto deadline = Clock::now() + std::chrono::seconds(5);
       Clock::now() < deadline && log.find("(--write-timeout-ms); closing") == std::string::npos;
       log = server_->Log()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(log.find("client took no answer byte for 500 ms"), std::string::npos)
      << server_->LogTail();
  EXPECT_EQ(Call(&writer, PingRequest("after")), Response::Ok({"after"}));
}

TEST_F(LimitsTest, BatchOfMoreThanTheOperationLimitIsRefusedWhole) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  std::vector<protocol::BatchOp> ops(protocol::kMaxBatchOps, {true, "k", ""});
  Response at_limit = Call(&client, BatchRequest(ops));
  EXPECT_EQ(at_limit.status, StatusCode::kOk) << testing::PrintToString(at_limit);
  ops.push_back({false, "k", "v"});
  Response over = Call(&client, WithId(BatchRequest(ops), 4));
  EXPECT_EQ(over.status, StatusCode::kBadRequest) << testing::PrintToString(over);
  EXPECT_EQ(over.request_id, 4u);
  EXPECT_EQ(MessageOf(over),
            "BATCH holds 300003 fields; at most 100000 operations (triples) "
            "are allowed");
  EXPECT_EQ(Call(&client, GetRequest("k")), Response::NotFound());
}

TEST_F(LimitsTest, ScanAnswerStaysWithinMaxFrameBytes) {
  constexpr uint32_t kMaxFrame = 4096;
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max-frame-bytes", std::to_string(kMaxFrame),
                                       "--max-key-bytes", "64", "--max-value-bytes", "1000"}));
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 12; ++i) {
    std::string key = "key" + std::to_string(100 + i);
    std::string value(1000, static_cast<char>('a' + i));
    PutOk(&client, key, value);
    expected[key] = value;
  }
  for (uint32_t limit : {0u, 12u, 1000u}) {
    SCOPED_TRACE("limit " + std::to_string(limit));
    Response response = Call(&client, ScanRequest("", "", limit));
    size_t body = 0;
    for (const std::string& field : response.fields) body += protocol::FieldSize(field);
    EXPECT_LE(body, kMaxFrame);
    ScanResult page = ScanOf(response);
    EXPECT_GE(page.entries.size(), 1u);
    EXPECT_LT(page.entries.size(), 12u);
    EXPECT_TRUE(page.more);
  }
  EXPECT_EQ(ScanAll(&client), expected);
}

}  // namespace
}  // namespace cairn::server_test
