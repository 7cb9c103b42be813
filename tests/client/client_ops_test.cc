// Every call of cairn::Client against a real cairnd.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "client/client.h"
#include "client/requests.h"
#include "tests/client/client_test_util.h"

namespace cairn::client_test {
namespace {

class ClientOpsTest : public ClientTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }
};

TEST_F(ClientOpsTest, ConnectAndPing) {
  Client client(Options());
  EXPECT_TRUE(Ok(client.Connect()));
  EXPECT_TRUE(Ok(client.Ping()));
}

TEST_F(ClientOpsTest, PutThenGetReturnsValueAndVersion) {
  Client client(Options());
  Result<uint64_t> first = client.Put("k", "v1");
  ASSERT_TRUE(Ok(first));
  EXPECT_EQ(first.value(), 1u);  // versions start at 1
  Result<uint64_t> second = client.Put("k", "v2");
  ASSERT_TRUE(Ok(second));
  EXPECT_EQ(second.value(), 2u);

  Result<std::optional<Versioned>> got = client.Get("k");
  ASSERT_TRUE(Ok(got));
  ASSERT_TRUE(got.value().has_value());
  EXPECT_EQ(*got.value(), (Versioned{"v2", 2}));
}

TEST_F(ClientOpsTest, GetOfAbsentKeyIsEmptyNotAnError) {
  Client client(Options());
  Result<std::optional<Versioned>> got = client.Get("absent");
  ASSERT_TRUE(Ok(got));
  EXPECT_FALSE(got.value().has_value());
}

TEST_F(ClientOpsTest, DelReportsWhetherTheKeyExisted) {
  Client client(Options());
  ASSERT_TRUE(Ok(client.Put("k", "v")));
  Result<CondResult> deleted = client.Del("k");
  ASSERT_TRUE(Ok(deleted));
  EXPECT_EQ(deleted.value(), (CondResult{true, 2}));
  Result<CondResult> again = client.Del("k");
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(again.value(), (CondResult{false, 0}));
  EXPECT_FALSE(client.Get("k").value().has_value());
}

TEST_F(ClientOpsTest, ConditionalDelChecksTheVersion) {
  Client client(Options());
  const uint64_t version = client.Put("k", "v").value();
  Result<CondResult> stale = client.Del("k", version + 7);
  ASSERT_TRUE(Ok(stale));
  EXPECT_EQ(stale.value(), (CondResult{false, version}));
  EXPECT_TRUE(client.Get("k").value().has_value());

  Result<CondResult> current = client.Del("k", version);
  ASSERT_TRUE(Ok(current));
  EXPECT_TRUE(current.value().applied);
  EXPECT_GT(current.value().version, version);

  Result<CondResult> absent = client.Del("k", 0);
  ASSERT_TRUE(Ok(absent));
  EXPECT_EQ(absent.value(), (CondResult{false, 0}));
}

TEST_F(ClientOpsTest, CasWritesOnlyAtTheExpectedVersion) {
  Client client(Options());
  Result<CondResult> created = client.Cas("k", 0, "first");  // 0: only if absent
  ASSERT_TRUE(Ok(created));
  ASSERT_TRUE(created.value().applied);
  const uint64_t v1 = created.value().version;

  Result<CondResult> refused = client.Cas("k", 0, "second");
  ASSERT_TRUE(Ok(refused));
  EXPECT_EQ(refused.value(), (CondResult{false, v1}));

  Result<CondResult> swapped = client.Cas("k", v1, "second");
  ASSERT_TRUE(Ok(swapped));
  EXPECT_TRUE(swapped.value().applied);
  EXPECT_EQ(*client.Get("k").value(), (Versioned{"second", swapped.value().version}));

  Result<CondResult> stale = client.Cas("k", v1, "third");
  ASSERT_TRUE(Ok(stale));
  EXPECT_EQ(stale.value(), (CondResult{false, swapped.value().version}));
}

TEST_F(ClientOpsTest, IncrCountsFromZeroAndReturnsTheNewValue) {
  Client client(Options());
  Result<IncrResult> one = client.Incr("n");
  ASSERT_TRUE(Ok(one));
  EXPECT_EQ(one.value().value, 1);
  Result<IncrResult> down = client.Incr("n", -5);
  ASSERT_TRUE(Ok(down));
  EXPECT_EQ(down.value().value, -4);
  EXPECT_GT(down.value().version, one.value().version);
  EXPECT_EQ(client.Get("n").value()->value, "-4");  // stored as decimal ASCII
}

TEST_F(ClientOpsTest, BatchCommitsEveryOperationUnderOneVersion) {
  Client client(Options());
  ASSERT_TRUE(Ok(client.Put("gone", "x")));
  WriteBatch batch;
  batch.Put("a", "1").Put("b", "2").Del("gone").Del("never-there").Put("a", "last wins");
  Result<uint64_t> version = client.Batch(batch);
  ASSERT_TRUE(Ok(version));
  EXPECT_EQ(*client.Get("a").value(), (Versioned{"last wins", version.value()}));
  EXPECT_EQ(*client.Get("b").value(), (Versioned{"2", version.value()}));
  EXPECT_FALSE(client.Get("gone").value().has_value());
}

TEST_F(ClientOpsTest, ScanPagesThroughARangeTransparently) {
  Client client(Options());
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 25; ++i) {
    const std::string key = "key" + std::to_string(100 + i);
    ASSERT_TRUE(Ok(client.Put(key, "value" + std::to_string(i))));
    expected[key] = "value" + std::to_string(i);
  }
  ASSERT_TRUE(Ok(client.Put("other", "x")));

  std::map<std::string, std::string> seen;
  ScanIterator it = client.Scan({.start = "key", .end = "key~"}, /*page_size=*/4);
  for (; it.Valid(); it.Next()) {
    EXPECT_TRUE(seen.emplace(it.key(), it.value()).second) << "twice: " << it.key();
  }
  EXPECT_TRUE(Ok(it.status()));
  EXPECT_EQ(seen, expected);
}

TEST_F(ClientOpsTest, ScanContinuesAfterAKeyWithTrailingZeroBytes) {
  Client client(Options());
  // "a" and "a\0" are adjacent keys: the continuation start "a\0" must not
  // skip "a\0", nor repeat "a".
  for (const std::string& key :
       {std::string("a"), std::string("a\0", 2), std::string("a\0\0", 3), std::string("b")}) {
    ASSERT_TRUE(Ok(client.Put(key, "v")));
  }
  std::vector<std::string> keys;
  ScanIterator it = client.Scan(ScanRange::All(), /*page_size=*/1);
  for (; it.Valid(); it.Next()) keys.emplace_back(it.key());
  EXPECT_TRUE(Ok(it.status()));
  EXPECT_EQ(keys,
            (std::vector<std::string>{"a", std::string("a\0", 2), std::string("a\0\0", 3), "b"}));
}

TEST_F(ClientOpsTest, ScanPrefixStopsAtTheFirstKeyPastThePrefix) {
  Client client(Options());
  for (const char* key : {"user:", "user:1", "user:2", "user;", "use", "users"}) {
    ASSERT_TRUE(Ok(client.Put(key, "v")));
  }
  std::vector<std::string> keys;
  ScanIterator it = client.Scan(ScanRange::Prefix("user:"), 2);
  for (; it.Valid(); it.Next()) keys.emplace_back(it.key());
  EXPECT_TRUE(Ok(it.status()));
  EXPECT_EQ(keys, (std::vector<std::string>{"user:", "user:1", "user:2"}));
}

TEST_F(ClientOpsTest, OtherCallsMayRunBetweenScanSteps) {
  Client client(Options());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Ok(client.Put("k" + std::to_string(i), "v")));
  int count = 0;
  ScanIterator it = client.Scan(ScanRange::Prefix("k"), 2);
  for (; it.Valid(); it.Next()) {
    ASSERT_TRUE(Ok(client.Put("seen:" + std::string(it.key()), "1")));
    ++count;
  }
  EXPECT_TRUE(Ok(it.status()));
  EXPECT_EQ(count, 6);
}

TEST_F(ClientOpsTest, EmptyScanIsValidAndOk) {
  Client client(Options());
  ScanIterator it = client.Scan(ScanRange::Prefix("nothing"));
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(Ok(it.status()));
}

TEST_F(ClientOpsTest, StatsIsParsedJson) {
  Client client(Options());
  ASSERT_TRUE(Ok(client.Put("a", "1")));
  ASSERT_TRUE(Ok(client.Put("b", "2")));
  Result<nlohmann::json> stats = client.Stats();
  ASSERT_TRUE(Ok(stats));
  EXPECT_EQ(stats.value()["keys"], 2);
  EXPECT_EQ(stats.value()["last_version"], 2);
  EXPECT_GE(stats.value()["connections"].get<int>(), 1);
  EXPECT_TRUE(stats.value().contains("fsync_policy"));
}

TEST_F(ClientOpsTest, SnapshotCoversEveryAcknowledgedWrite) {
  Client client(Options());
  const uint64_t version = client.Put("k", "v").value();
  Result<uint64_t> covered = client.Snapshot();
  ASSERT_TRUE(Ok(covered));
  EXPECT_GE(covered.value(), version);
}

TEST_F(ClientOpsTest, CallReturnsServerErrorsAsAnswers) {
  Client client(Options());
  Result<protocol::Response> answer = client.Call(GetRequest("absent"));
  ASSERT_TRUE(Ok(answer));
  EXPECT_EQ(answer.value().status, protocol::StatusCode::kNotFound);
  protocol::Request ping = PingRequest();
  ping.ping_payload = "echo";
  Result<protocol::Response> pong = client.Call(ping);
  ASSERT_TRUE(Ok(pong));
  EXPECT_EQ(pong.value().fields, std::vector<std::string>{"echo"});
}

TEST(ClientScanRangeTest, PrefixEndIsTheFirstKeyPastThePrefix) {
  EXPECT_EQ(ScanRange::Prefix("ab").end, "ac");
  EXPECT_EQ(ScanRange::Prefix("a\xff\xff").end, "b");
  EXPECT_EQ(ScanRange::Prefix(std::string("a\0", 2)).end, std::string("a\x01", 2));
  EXPECT_EQ(ScanRange::Prefix("\xff\xff").end, "");  // no upper bound
  EXPECT_EQ(ScanRange::Prefix("").end, "");
  EXPECT_EQ(ScanRange::Prefix("ab").start, "ab");
}

}  // namespace
}  // namespace cairn::client_test
