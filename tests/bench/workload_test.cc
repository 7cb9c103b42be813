// The requests cairn-bench sends, read back with the server's own parser:
// keys are redis-benchmark's "key:" + 12 digits in [0, r), or the literal
// "key:__rand_int__" without -r; values are 'x' * d; ids follow the caller.
#include "bench/cairn_bench/workload.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "protocol/frame_decoder.h"
#include "protocol/request.h"

namespace cairn::bench {
namespace {

using protocol::Opcode;

// Every request in `frames`, parsed as cairnd parses them.
std::vector<protocol::Request> Parse(const std::string& frames) {
  protocol::FrameDecoder decoder(protocol::kRequestMagic, protocol::Limits{}.max_frame_bytes);
  decoder.Feed(frames);
  std::vector<protocol::Request> requests;
  protocol::Frame frame;
  while (decoder.Next(&frame) == protocol::FrameDecoder::Event::kFrame) {
    protocol::Result<protocol::Request> request =
        protocol::ParseRequest(frame.header, frame.body, protocol::Limits{});
    EXPECT_TRUE(request.ok()) << request.error().message;
    if (request.ok()) requests.push_back(request.value());
  }
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  return requests;
}

std::vector<protocol::Request> Generate(const WorkloadSpec& spec, int count, uint64_t seed = 7) {
  Workload workload(spec);
  Random random(seed);
  std::string frames;
  for (int i = 0; i < count; ++i) {
    workload.Append(&random, static_cast<uint32_t>(100 + i), &frames);
  }
  return Parse(frames);
}

uint64_t DigitsOf(const std::string& key, size_t prefix) {
  uint64_t value = 0;
  for (size_t i = prefix; i < key.size(); ++i) {
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(key[i]))) << key;
    value = value * 10 + static_cast<uint64_t>(key[i] - '0');
  }
  return value;
}

TEST(WorkloadTest, WriteRandIntPadsTwelveDigits) {
  std::string out(12, '?');
  WriteRandInt(0, out.data());
  EXPECT_EQ(out, "000000000000");
  WriteRandInt(42, out.data());
  EXPECT_EQ(out, "000000000042");
  WriteRandInt(kMaxKeyspace - 1, out.data());
  EXPECT_EQ(out, "999999999999");
}

TEST(WorkloadTest, RandomKeysAreSixteenBytesInTheKeyspace) {
  const uint64_t keyspace = 1000;
  std::vector<protocol::Request> requests =
      Generate({.kind = TestKind::kPut, .keyspace = keyspace, .value_size = 100}, 5000);
  ASSERT_EQ(requests.size(), 5000u);
  std::set<uint64_t> seen;
  for (size_t i = 0; i < requests.size(); ++i) {
    const protocol::Request& request = requests[i];
    EXPECT_EQ(request.opcode, Opcode::kPut);
    EXPECT_EQ(request.request_id, 100 + i);
    ASSERT_EQ(request.key.size(), 16u) << request.key;
    EXPECT_EQ(request.key.substr(0, 4), "key:");
    const uint64_t number = DigitsOf(request.key, 4);
    EXPECT_LT(number, keyspace);
    seen.insert(number);
    EXPECT_EQ(request.value, std::string(100, 'x'));
  }
  // 5000 draws from 1000 keys miss almost none; a broken generator repeats.
  EXPECT_GT(seen.size(), 900u);
}

TEST(WorkloadTest, KeyspaceOfOneAlwaysGivesKeyZero) {
  for (const protocol::Request& request : Generate({.kind = TestKind::kGet, .keyspace = 1}, 100)) {
    EXPECT_EQ(request.opcode, Opcode::kGet);
    EXPECT_EQ(request.key, "key:000000000000");
  }
}

TEST(WorkloadTest, WithoutKeyspaceEveryRequestUsesTheLiteralKey) {
  for (TestKind kind : {TestKind::kPut, TestKind::kGet, TestKind::kDelete, TestKind::kMixed}) {
    for (const protocol::Request& request : Generate({.kind = kind, .keyspace = 0}, 50)) {
      EXPECT_EQ(request.key, "key:__rand_int__") << TestName(kind);
    }
  }
}

TEST(WorkloadTest, IncrUsesCounterKeysAndDeltaOne) {
  for (const protocol::Request& request :
       Generate({.kind = TestKind::kIncr, .keyspace = 50}, 200)) {
    EXPECT_EQ(request.opcode, Opcode::kIncr);
    EXPECT_EQ(request.delta, 1);
    ASSERT_EQ(request.key.size(), 20u) << request.key;
    EXPECT_EQ(request.key.substr(0, 8), "counter:");
    EXPECT_LT(DigitsOf(request.key, 8), 50u);
  }
}

TEST(WorkloadTest, PingAndDeleteCarryWhatTheyShould) {
  for (const protocol::Request& request : Generate({.kind = TestKind::kPing}, 10)) {
    EXPECT_EQ(request.opcode, Opcode::kPing);
    EXPECT_FALSE(request.ping_payload.has_value());
  }
  for (const protocol::Request& request :
       Generate({.kind = TestKind::kDelete, .keyspace = 10}, 10)) {
    EXPECT_EQ(request.opcode, Opcode::kDelete);
    EXPECT_FALSE(request.has_expected_version);
  }
}

TEST(WorkloadTest, MixedFollowsTheRatio) {
  int gets = 0;
  const std::vector<protocol::Request> requests = Generate(
      {.kind = TestKind::kMixed, .keyspace = 100, .read_weight = 9, .write_weight = 1}, 10000);
  for (const protocol::Request& request : requests) {
    ASSERT_TRUE(request.opcode == Opcode::kGet || request.opcode == Opcode::kPut);
    gets += request.opcode == Opcode::kGet;
  }
  // 9000 expected; the standard deviation is 30.
  EXPECT_GT(gets, 8700);
  EXPECT_LT(gets, 9300);

  for (const protocol::Request& request : Generate(
           {.kind = TestKind::kMixed, .keyspace = 100, .read_weight = 0, .write_weight = 1}, 100)) {
    EXPECT_EQ(request.opcode, Opcode::kPut);
  }
}

TEST(WorkloadTest, TestNamesAndAliases) {
  EXPECT_EQ(ParseTestName("put"), TestKind::kPut);
  EXPECT_EQ(ParseTestName("SET"), TestKind::kPut);
  EXPECT_EQ(ParseTestName("del"), TestKind::kDelete);
  EXPECT_EQ(ParseTestName("Delete"), TestKind::kDelete);
  EXPECT_EQ(ParseTestName("mixed"), TestKind::kMixed);
  EXPECT_EQ(ParseTestName("lrange"), std::nullopt);
  EXPECT_EQ(TestName(TestKind::kPut), "put");
  EXPECT_EQ(TestName(TestKind::kDelete), "delete");
}

}  // namespace
}  // namespace cairn::bench
