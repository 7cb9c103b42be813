// Keys and values are bytes: NUL, "\r\n", 0xFF, every byte value and the
// empty string round-trip unchanged through every call that carries them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/client.h"
#include "client/pipeline.h"
#include "client/requests.h"
#include "tests/client/client_test_util.h"

namespace cairn::client_test {
namespace {

std::string EveryByte() {
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
  return bytes;
}

class ClientBinaryDataTest : public ClientTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }
};

TEST_F(ClientBinaryDataTest, PutAndGetRoundTripAwkwardBytes) {
  Client client(Options());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {Nasty("key"), Nasty("value")},
      {std::string("\0", 1), std::string("\0\0\0", 3)},
      {"\r\n", "\r\n"},
      {"\xff", "\xff\xff"},
      {EveryByte(), EveryByte()},
      {"empty value", ""},
  };
  for (const auto& [key, value] : cases) {
    SCOPED_TRACE(protocol::QuoteText(key));
    ASSERT_TRUE(Ok(client.Put(key, value)));
    Result<std::optional<Versioned>> got = client.Get(key);
    ASSERT_TRUE(Ok(got));
    ASSERT_TRUE(got.value().has_value());
    EXPECT_EQ(got.value()->value, value);
  }
}

TEST_F(ClientBinaryDataTest, EmptyKeyIsAKeyLikeAnyOther) {
  Client client(Options());
  ASSERT_TRUE(Ok(client.Put("", "empty key")));
  EXPECT_EQ(client.Get("").value()->value, "empty key");
  ASSERT_TRUE(Ok(client.Put("a", "x")));
  ScanIterator it = client.Scan(ScanRange::All());
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "");  // the smallest key of all
  EXPECT_TRUE(client.Del("").value().applied);
  EXPECT_FALSE(client.Get("").value().has_value());
}

TEST_F(ClientBinaryDataTest, CasBatchIncrAndScanKeepBytes) {
  Client client(Options());
  ASSERT_TRUE(client.Cas(Nasty("cas"), 0, Nasty("v1")).value().applied);
  EXPECT_EQ(client.Get(Nasty("cas")).value()->value, Nasty("v1"));

  WriteBatch batch;
  batch.Put(Nasty("b1"), EveryByte()).Put(Nasty("b2"), "").Del(Nasty("cas"));
  ASSERT_TRUE(Ok(client.Batch(batch)));
  EXPECT_EQ(client.Get(Nasty("b1")).value()->value, EveryByte());
  EXPECT_EQ(client.Get(Nasty("b2")).value()->value, "");
  EXPECT_FALSE(client.Get(Nasty("cas")).value().has_value());

  ASSERT_TRUE(Ok(client.Incr(Nasty("n"), 41)));
  EXPECT_EQ(client.Incr(Nasty("n")).value().value, 42);

  std::vector<std::pair<std::string, std::string>> entries;
  ScanIterator it = client.Scan(ScanRange::Prefix(Nasty()), 1);
  for (; it.Valid(); it.Next()) entries.emplace_back(it.key(), it.value());
  ASSERT_TRUE(Ok(it.status()));
  EXPECT_EQ(entries, (std::vector<std::pair<std::string, std::string>>{
                         {Nasty("b1"), EveryByte()}, {Nasty("b2"), ""}, {Nasty("n"), "42"}}));
}

TEST_F(ClientBinaryDataTest, ScanPrefixOfHighBytes) {
  Client client(Options());
  for (const std::string& key :
       {std::string("\xfe"), std::string("\xff"), std::string("\xff\x00", 2),
        std::string("\xff\xff"), std::string("\xff\xff\x01")}) {
    ASSERT_TRUE(Ok(client.Put(key, "v")));
  }
  std::vector<std::string> keys;
  ScanIterator it = client.Scan(ScanRange::Prefix("\xff"), 2);
  for (; it.Valid(); it.Next()) keys.emplace_back(it.key());
  ASSERT_TRUE(Ok(it.status()));
  EXPECT_EQ(keys, (std::vector<std::string>{"\xff", std::string("\xff\x00", 2), "\xff\xff",
                                            "\xff\xff\x01"}));
}

TEST_F(ClientBinaryDataTest, PipelineKeepsBytes) {
  Client client(Options());
  std::vector<protocol::Response> answers;
  Pipeline pipeline(&client, [&](protocol::Response r) { answers.push_back(std::move(r)); });
  ASSERT_TRUE(Ok(pipeline.Add(PutRequest(Nasty("p"), EveryByte()))));
  ASSERT_TRUE(Ok(pipeline.Add(GetRequest(Nasty("p")))));
  ASSERT_TRUE(Ok(pipeline.Finish()));
  ASSERT_EQ(answers.size(), 2u);
  Result<std::optional<Versioned>> got = ReadGetReply(answers[1]);
  ASSERT_TRUE(Ok(got));
  EXPECT_EQ(got.value()->value, EveryByte());
}

}  // namespace
}  // namespace cairn::client_test
