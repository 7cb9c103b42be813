// Every opcode of docs/protocol.md section 3 in binary mode, against a real
// cairnd, with the exact response fields. Each test starts on an empty data
// directory, so the first write takes version 1.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocol/frame.h"
#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using namespace std::string_literals;
using protocol::BatchOp;
using protocol::Response;
using protocol::StatusCode;

class BinaryOpsTest : public CairndTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer({"--shards", "4"}));
    ASSERT_NO_FATAL_FAILURE(Connect(&client_));
  }

  Response Do(const protocol::Request& request) { return Call(&client_, request); }

  // Fails unless response is the given error status with a message.
  void ExpectError(const Response& response, StatusCode status) {
    EXPECT_EQ(response.status, status) << testing::PrintToString(response);
    if (response.status == status) {
      EXPECT_FALSE(MessageOf(response).empty());
    }
  }

  TestClient client_;
};

TEST_F(BinaryOpsTest, PingWithoutPayloadAnswersNoFields) {
  EXPECT_EQ(Do(WithId(PingRequest(), 0x01020304)), (Response{StatusCode::kOk, 0x01020304, {}}));
}

TEST_F(BinaryOpsTest, PingWithPayloadEchoesIt) {
  const std::string payload = "hello\0\r\n\xff"s;
  EXPECT_EQ(Do(WithId(PingRequest(payload), 7)), (Response{StatusCode::kOk, 7, {payload}}));
  EXPECT_EQ(Do(PingRequest("")), Response::Ok({""}));
}

TEST_F(BinaryOpsTest, RequestIdIsEchoed) {
  for (uint32_t id : {0u, 1u, 0xA1B2C3D4u, 0xFFFFFFFFu}) {
    EXPECT_EQ(Do(WithId(GetRequest("absent"), id)).request_id, id);
    EXPECT_EQ(Do(WithId(PutRequest("k", "v"), id)).request_id, id);
  }
}

TEST_F(BinaryOpsTest, GetOfAbsentKeyIsNotFoundWithoutFields) {
  EXPECT_EQ(Do(GetRequest("absent")), Response::NotFound());
}

TEST_F(BinaryOpsTest, PutThenGetReturnsValueAndVersion) {
  EXPECT_EQ(Do(PutRequest("k", "v1")), Response::OkVersion(1));
  EXPECT_EQ(Do(GetRequest("k")), Response::OkValue("v1", 1));
  EXPECT_EQ(Do(PutRequest("k", "v2")), Response::OkVersion(2));
  EXPECT_EQ(Do(GetRequest("k")), Response::OkValue("v2", 2));
}

TEST_F(BinaryOpsTest, VersionsGrowByOnePerCommittedWrite) {
  EXPECT_EQ(Do(PutRequest("a", "1")), Response::OkVersion(1));
  EXPECT_EQ(Do(PutRequest("b", "1")), Response::OkVersion(2));
  EXPECT_EQ(Do(DeleteRequest("a")), Response::OkVersion(3));
  EXPECT_EQ(Do(CasRequest("b", 2, "2")), Response::OkVersion(4));
  EXPECT_EQ(Do(BatchRequest({{false, "c", "1"}, {false, "d", "1"}})), Response::OkVersion(5));
  EXPECT_EQ(Do(IncrRequest("n", 1)), Response::OkValue("1", 6));
  EXPECT_EQ(Do(PutRequest("e", "1")), Response::OkVersion(7));
}

TEST_F(BinaryOpsTest, FailedWritesTakeNoVersion) {
  EXPECT_EQ(Do(PutRequest("text", "abc")), Response::OkVersion(1));
  EXPECT_EQ(Do(DeleteRequest("absent")), Response::NotFound());
  EXPECT_EQ(Do(DeleteRequest("text", 9)), Response::VersionMismatch(1));
  EXPECT_EQ(Do(CasRequest("text", 0, "x")), Response::VersionMismatch(1));
  ExpectError(Do(IncrRequest("text", 1)), StatusCode::kTypeError);
  ASSERT_TRUE(client_.SendRaw(RequestFrame(0x06, 0, {})));  // empty BATCH
  ExpectError(Read(&client_), StatusCode::kBadRequest);
  EXPECT_EQ(Do(PutRequest("next", "1")), Response::OkVersion(2));
}

TEST_F(BinaryOpsTest, DeleteRemovesTheKey) {
  EXPECT_EQ(Do(PutRequest("k", "v")), Response::OkVersion(1));
  EXPECT_EQ(Do(DeleteRequest("k")), Response::OkVersion(2));
  EXPECT_EQ(Do(GetRequest("k")), Response::NotFound());
  EXPECT_EQ(Do(DeleteRequest("k")), Response::NotFound());
  EXPECT_EQ(Do(DeleteRequest("never")), Response::NotFound());
}

TEST_F(BinaryOpsTest, DeleteWithExpectedVersion) {
  EXPECT_EQ(Do(PutRequest("k", "v")), Response::OkVersion(1));
  EXPECT_EQ(Do(PutRequest("k", "w")), Response::OkVersion(2));
  EXPECT_EQ(Do(DeleteRequest("k", 1)), Response::VersionMismatch(2));
  EXPECT_EQ(Do(DeleteRequest("k", 3)), Response::VersionMismatch(2));
  EXPECT_EQ(Do(DeleteRequest("k", 0)), Response::VersionMismatch(2));
  EXPECT_EQ(Do(GetRequest("k")), Response::OkValue("w", 2));
  EXPECT_EQ(Do(DeleteRequest("k", 2)), Response::OkVersion(3));
  EXPECT_EQ(Do(GetRequest("k")), Response::NotFound());
}

TEST_F(BinaryOpsTest, DeleteWithExpectedVersionOfAbsentKey) {
  // Expected 0 on an absent key is NOT_FOUND; any other expected version is a
  // mismatch against the current version 0.
  EXPECT_EQ(Do(DeleteRequest("absent", 0)), Response::NotFound());
  EXPECT_EQ(Do(DeleteRequest("absent", 5)), Response::VersionMismatch(0));
  EXPECT_EQ(Do(PutRequest("next", "1")), Response::OkVersion(1));
}

TEST_F(BinaryOpsTest, CasWithZeroWritesOnlyIfAbsent) {
  EXPECT_EQ(Do(CasRequest("k", 0, "first")), Response::OkVersion(1));
  EXPECT_EQ(Do(CasRequest("k", 0, "second")), Response::VersionMismatch(1));
  EXPECT_EQ(Do(GetRequest("k")), Response::OkValue("first", 1));
  EXPECT_EQ(Do(DeleteRequest("k")), Response::OkVersion(2));
  EXPECT_EQ(Do(CasRequest("k", 0, "again")), Response::OkVersion(3));
  EXPECT_EQ(Do(GetRequest("k")), Response::OkValue("again", 3));
}

TEST_F(BinaryOpsTest, CasWritesOnlyAtTheExpectedVersion) {
  EXPECT_EQ(Do(PutRequest("k", "a")), Response::OkVersion(1));
  EXPECT_EQ(Do(CasRequest("k", 1, "b")), Response::OkVersion(2));
  EXPECT_EQ(Do(CasRequest("k", 1, "c")), Response::VersionMismatch(2));
  EXPECT_EQ(Do(CasRequest("k", 3, "c")), Response::VersionMismatch(2));
  EXPECT_EQ(Do(GetRequest("k")), Response::OkValue("b", 2));
  EXPECT_EQ(Do(CasRequest("absent", 4, "x")), Response::VersionMismatch(0));
  EXPECT_EQ(Do(GetRequest("absent")), Response::NotFound());
}

TEST_F(BinaryOpsTest, BatchCommitsAllOperationsUnderOneVersion) {
  EXPECT_EQ(Do(PutRequest("old", "x")), Response::OkVersion(1));
  EXPECT_EQ(
      Do(BatchRequest(
          {{false, "a", "1"}, {false, "b", "2"}, {true, "old", ""}, {true, "never-existed", ""}})),
      Response::OkVersion(2));
  EXPECT_EQ(Do(GetRequest("a")), Response::OkValue("1", 2));
  EXPECT_EQ(Do(GetRequest("b")), Response::OkValue("2", 2));
  EXPECT_EQ(Do(GetRequest("old")), Response::NotFound());
  EXPECT_EQ(Do(GetRequest("never-existed")), Response::NotFound());
  EXPECT_EQ(Do(PutRequest("c", "3")), Response::OkVersion(3));
}

TEST_F(BinaryOpsTest, BatchOfOnlyDeletesOfAbsentKeysIsOk) {
  Response response = Do(BatchRequest({{true, "x", ""}, {true, "y", ""}}));
  EXPECT_EQ(response.status, StatusCode::kOk) << testing::PrintToString(response);
  EXPECT_EQ(Do(GetRequest("x")), Response::NotFound());
}

TEST_F(BinaryOpsTest, EmptyBatchIsBadRequest) {
  ASSERT_TRUE(client_.SendRaw(RequestFrame(0x06, 42, {})));
  Response response = Read(&client_);
  ExpectError(response, StatusCode::kBadRequest);
  EXPECT_EQ(response.request_id, 42u);
  EXPECT_EQ(Do(PingRequest()), Response::Ok());
}

TEST_F(BinaryOpsTest, MalformedBatchWritesNothing) {
  const std::string put = "\x03", del = "\x04";
  const std::vector<std::vector<std::string>> bad_batches = {
      {put, "a", "1", del, "b", "not-empty"},  // a delete with a value
      {put, "a", "1", "\x05", "b", "2"},       // unknown op byte
      {put, "a", "1", "\x03\x00"s, "b", "2"},  // op field of two bytes
      {put, "a", "1", put, "b"},               // not a whole triple
  };
  for (const auto& fields : bad_batches) {
    ASSERT_TRUE(client_.SendRaw(RequestFrame(0x06, 0, fields)));
    ExpectError(Read(&client_), StatusCode::kBadRequest);
  }
  EXPECT_EQ(Do(GetRequest("a")), Response::NotFound());
  EXPECT_EQ(Do(PutRequest("next", "1")), Response::OkVersion(1));
}

TEST_F(BinaryOpsTest, ScanReturnsKeysInUnsignedBytewiseOrder) {
  const std::vector<std::string> keys = {"b", "a", "ab", "a\0"s, "\xff", "", "A", "a\xff", "\x80"};
  std::map<std::string, std::string> expected;  // std::string orders bytes unsigned
  for (const std::string& key : keys) {
    PutOk(&client_, key, "v" + key);
    expected[key] = "v" + key;
  }
  ScanResult page = ScanOf(Do(ScanRequest("", "", 100)));
  EXPECT_EQ(page.entries, Entries(expected.begin(), expected.end()));
  EXPECT_FALSE(page.more);
}

TEST_F(BinaryOpsTest, ScanHonoursItsRange) {
  for (const char* key : {"a", "b", "bb", "c", "d"}) PutOk(&client_, key, key);
  EXPECT_EQ(ScanOf(Do(ScanRequest("b", "d", 0))).entries,
            (Entries{{"b", "b"}, {"bb", "bb"}, {"c", "c"}}));
  EXPECT_EQ(ScanOf(Do(ScanRequest("b", "c", 0))).entries, (Entries{{"b", "b"}, {"bb", "bb"}}));
  EXPECT_EQ(ScanOf(Do(ScanRequest("bb", "", 0))).entries,
            (Entries{{"bb", "bb"}, {"c", "c"}, {"d", "d"}}));
  EXPECT_EQ(ScanOf(Do(ScanRequest("b\0"s, "c", 0))).entries, (Entries{{"bb", "bb"}}));
  EXPECT_TRUE(ScanOf(Do(ScanRequest("c", "c", 0))).entries.empty());
  EXPECT_EQ(Do(ScanRequest("d", "b", 0)), Response::OkScan({}, false));  // start after end
  EXPECT_TRUE(ScanOf(Do(ScanRequest("e", "", 0))).entries.empty());
  EXPECT_EQ(Do(ScanRequest("e", "", 0)), Response::OkScan({}, false));
}

TEST_F(BinaryOpsTest, ScanPagesWithLimitAndMore) {
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 10; ++i) {
    std::string key = "k" + std::to_string(i);
    PutOk(&client_, key, "v" + std::to_string(i));
    expected[key] = "v" + std::to_string(i);
  }
  Entries seen;
  std::string start;
  std::vector<bool> mores;
  for (int pages = 0; pages < 10; ++pages) {
    ScanResult page = ScanOf(Do(ScanRequest(start, "", 3)));
    EXPECT_LE(page.entries.size(), 3u);
    seen.insert(seen.end(), page.entries.begin(), page.entries.end());
    mores.push_back(page.more);
    if (!page.more || page.entries.empty()) break;
    start = page.entries.back().first + "\0"s;
  }
  EXPECT_EQ(seen, Entries(expected.begin(), expected.end()));
  EXPECT_EQ(mores, (std::vector<bool>{true, true, true, false}));
}

TEST_F(BinaryOpsTest, ScanMoreIsZeroWhenNoKeyRemainsInTheRange) {
  for (const char* key : {"a", "b", "c", "z"}) PutOk(&client_, key, key);
  EXPECT_EQ(Do(ScanRequest("a", "d", 3)),
            Response::OkScan({{"a", "a"}, {"b", "b"}, {"c", "c"}}, false));
  EXPECT_EQ(Do(ScanRequest("a", "c", 2)), Response::OkScan({{"a", "a"}, {"b", "b"}}, false));
  EXPECT_EQ(Do(ScanRequest("a", "", 4)),
            Response::OkScan({{"a", "a"}, {"b", "b"}, {"c", "c"}, {"z", "z"}}, false));
  EXPECT_EQ(Do(ScanRequest("a", "", 3)),
            Response::OkScan({{"a", "a"}, {"b", "b"}, {"c", "c"}}, true));
}

TEST_F(BinaryOpsTest, ScanLimitZeroMeansTheDefaultOf1000) {
  std::vector<BatchOp> ops;
  for (int i = 0; i < 1005; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%05d", i);
    ops.push_back({false, key, std::to_string(i)});
  }
  ASSERT_EQ(Do(BatchRequest(ops)), Response::OkVersion(1));
  ScanResult first = ScanOf(Do(ScanRequest("", "", 0)));
  ASSERT_EQ(first.entries.size(), 1000u);
  EXPECT_TRUE(first.more);
  EXPECT_EQ(first.entries.front().first, "key00000");
  EXPECT_EQ(first.entries.back().first, "key00999");
  ScanResult rest = ScanOf(Do(ScanRequest("key00999\0"s, "", 0)));
  ASSERT_EQ(rest.entries.size(), 5u);
  EXPECT_EQ(rest.entries.back(), (std::pair<std::string, std::string>{"key01004", "1004"}));
  EXPECT_FALSE(rest.more);
}

TEST_F(BinaryOpsTest, ScanSkipsDeletedKeys) {
  for (const char* key : {"a", "b", "c"}) PutOk(&client_, key, key);
  EXPECT_EQ(Do(DeleteRequest("b")), Response::OkVersion(4));
  EXPECT_EQ(Do(ScanRequest("", "", 0)), Response::OkScan({{"a", "a"}, {"c", "c"}}, false));
}

TEST_F(BinaryOpsTest, IncrTreatsAnAbsentKeyAsZero) {
  EXPECT_EQ(Do(IncrRequest("n", 5)), Response::OkValue("5", 1));
  EXPECT_EQ(Do(IncrRequest("n", -8)), Response::OkValue("-3", 2));
  EXPECT_EQ(Do(GetRequest("n")), Response::OkValue("-3", 2));
  EXPECT_EQ(Do(IncrRequest("zero", 0)), Response::OkValue("0", 3));
  EXPECT_EQ(Do(GetRequest("zero")), Response::OkValue("0", 3));
}

TEST_F(BinaryOpsTest, IncrOfADecimalValue) {
  EXPECT_EQ(Do(PutRequest("n", "-17")), Response::OkVersion(1));
  EXPECT_EQ(Do(IncrRequest("n", 20)), Response::OkValue("3", 2));
  // "digits only": leading zeros are digits.
  EXPECT_EQ(Do(PutRequest("z", "007")), Response::OkVersion(3));
  EXPECT_EQ(Do(IncrRequest("z", 1)), Response::OkValue("8", 4));
}

TEST_F(BinaryOpsTest, IncrOfANonIntegerIsTypeErrorAndWritesNothing) {
  const std::vector<std::string> values = {"abc", "12a", "",  "+5",   " 5",   "5 ",
                                           "1.5", "--1", "-", "1\0"s, "0x10", "1e3"};
  uint64_t version = 0;
  for (const std::string& value : values) {
    version = PutOk(&client_, "n", value);
    ExpectError(Do(IncrRequest("n", 1)), StatusCode::kTypeError);
    EXPECT_EQ(Do(GetRequest("n")), Response::OkValue(value, version))
        << "value " << protocol::QuoteText(value);
  }
  EXPECT_EQ(Do(PutRequest("next", "1")), Response::OkVersion(version + 1));
}

TEST_F(BinaryOpsTest, IncrOverflowIsTypeErrorAndWritesNothing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(Do(PutRequest("max", "9223372036854775807")), Response::OkVersion(1));
  ExpectError(Do(IncrRequest("max", 1)), StatusCode::kTypeError);
  ExpectError(Do(IncrRequest("max", kMax)), StatusCode::kTypeError);
  EXPECT_EQ(Do(GetRequest("max")), Response::OkValue("9223372036854775807", 1));

  EXPECT_EQ(Do(PutRequest("min", "-9223372036854775808")), Response::OkVersion(2));
  ExpectError(Do(IncrRequest("min", -1)), StatusCode::kTypeError);
  ExpectError(Do(IncrRequest("min", kMin)), StatusCode::kTypeError);
  EXPECT_EQ(Do(GetRequest("min")), Response::OkValue("-9223372036854775808", 2));

  // A value outside i64 is not an integer the server can hold.
  EXPECT_EQ(Do(PutRequest("big", "9223372036854775808")), Response::OkVersion(3));
  ExpectError(Do(IncrRequest("big", -1)), StatusCode::kTypeError);

  // The extremes themselves are fine.
  EXPECT_EQ(Do(IncrRequest("up", kMax)), Response::OkValue("9223372036854775807", 4));
  EXPECT_EQ(Do(IncrRequest("down", kMin)), Response::OkValue("-9223372036854775808", 5));
  EXPECT_EQ(Do(IncrRequest("max", -1)), Response::OkValue("9223372036854775806", 6));
}

TEST_F(BinaryOpsTest, StatsReportsTheRequiredFields) {
  PutOk(&client_, "a", "1");
  PutOk(&client_, "b", "2");
  PutOk(&client_, "c", "3");
  EXPECT_EQ(Do(DeleteRequest("c")), Response::OkVersion(4));
  TestClient other1, other2;
  ASSERT_NO_FATAL_FAILURE(Connect(&other1));
  ASSERT_NO_FATAL_FAILURE(Connect(&other2));
  EXPECT_EQ(Call(&other1, PingRequest()), Response::Ok());
  EXPECT_EQ(Call(&other2, PingRequest()), Response::Ok());

  Response response = Do(WithId(StatsRequest(), 99));
  ASSERT_EQ(response.status, StatusCode::kOk) << testing::PrintToString(response);
  EXPECT_EQ(response.request_id, 99u);
  ASSERT_EQ(response.fields.size(), 1u);
  nlohmann::json stats = nlohmann::json::parse(response.fields[0], nullptr, false);
  ASSERT_TRUE(stats.is_object()) << response.fields[0];
  for (const char* field :
       {"keys", "last_version", "shards", "connections", "fsync_policy", "uptime_seconds"}) {
    EXPECT_TRUE(stats.contains(field)) << field << " missing from " << response.fields[0];
  }
  EXPECT_EQ(stats.value("keys", -1), 2);
  EXPECT_EQ(stats.value("last_version", -1), 4);
  EXPECT_EQ(stats.value("shards", -1), 4);
  EXPECT_GE(stats.value("connections", -1), 3);
  EXPECT_EQ(stats.value("fsync_policy", ""), "always");
  ASSERT_TRUE(stats["uptime_seconds"].is_number()) << response.fields[0];
  EXPECT_GE(stats["uptime_seconds"].get<double>(), 0.0);
}

TEST_F(BinaryOpsTest, SnapshotAnswersTheVersionItCovers) {
  PutOk(&client_, "a", "1");
  PutOk(&client_, "b", "2");
  EXPECT_EQ(Do(DeleteRequest("a")), Response::OkVersion(3));
  EXPECT_EQ(Do(WithId(SnapshotRequest(), 5)),
            (Response{StatusCode::kOk, 5, {protocol::EncodeU64(3)}}));
  // A snapshot is not a write: it takes no version and changes no data.
  EXPECT_EQ(Do(PutRequest("c", "3")), Response::OkVersion(4));
  EXPECT_EQ(Do(GetRequest("b")), Response::OkValue("2", 2));
  EXPECT_EQ(Do(GetRequest("a")), Response::NotFound());
  EXPECT_EQ(Do(SnapshotRequest()), Response::OkVersion(4));
}

TEST_F(BinaryOpsTest, SnapshotOfAnEmptyStoreCoversVersionZero) {
  EXPECT_EQ(Do(SnapshotRequest()), Response::OkVersion(0));
  EXPECT_EQ(Do(PutRequest("a", "1")), Response::OkVersion(1));
}

TEST(StatsPolicyTest, StatsReflectsTheConfiguredPolicyAndShards) {
  TempDir dir;
  CairndProcess server(dir.path(), {"--fsync", "never", "--shards", "3"});
  ASSERT_TRUE(server.Start());
  TestClient client;
  ASSERT_TRUE(client.Connect(server.port())) << client.error();
  Response response = Call(&client, StatsRequest());
  ASSERT_EQ(response.status, StatusCode::kOk) << testing::PrintToString(response);
  ASSERT_EQ(response.fields.size(), 1u);
  nlohmann::json stats = nlohmann::json::parse(response.fields[0], nullptr, false);
  ASSERT_TRUE(stats.is_object()) << response.fields[0];
  EXPECT_EQ(stats.value("fsync_policy", ""), "never");
  EXPECT_EQ(stats.value("shards", -1), 3);
  EXPECT_EQ(stats.value("keys", -1), 0);
  EXPECT_EQ(stats.value("last_version", -1), 0);
}

}  // namespace
}  // namespace cairn::server_test
