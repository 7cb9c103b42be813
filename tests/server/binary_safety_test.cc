// Keys and values are arbitrary bytes (docs/protocol.md section 2): NUL, "\r\n",
// invalid UTF-8, 0xFF and the empty string round-trip unchanged, through
// GET, SCAN, BATCH, CAS and a restart, and large values fit.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using namespace std::string_literals;
using protocol::Response;
using protocol::StatusCode;

const std::vector<std::pair<std::string, std::string>>& AwkwardPairs() {
  static const auto* pairs = new std::vector<std::pair<std::string, std::string>>{
      {"\0"s, "\0\0"s},
      {"a\0b"s, "x\0y\0"s},
      {"line\r\nbreak", "crlf\r\n"},
      {"\xff", "\xff\xfe\xfd"},
      {"\x80\xc3\x28 invalid utf-8", "\xe2\x28\xa1"},
      {"", "value of the empty key"},
      {"empty value", ""},
      {"\x01\x02\x03", "\x7f"},
      {"\"quoted\" \\ back", "tab\tand space "},
  };
  return *pairs;
}

class BinarySafetyTest : public CairndTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer());
    ASSERT_NO_FATAL_FAILURE(Connect(&client_));
  }

  TestClient client_;
};

TEST_F(BinarySafetyTest, AwkwardKeysAndValuesRoundTripThroughPutGetAndScan) {
  std::map<std::string, std::pair<std::string, uint64_t>> expected;
  for (const auto& [key, value] : AwkwardPairs()) {
    uint64_t version = PutOk(&client_, key, value);
    expected[key] = {value, version};
  }
  for (const auto& [key, entry] : expected) {
    EXPECT_EQ(Call(&client_, GetRequest(key)), Response::OkValue(entry.first, entry.second))
        << "key " << protocol::QuoteText(key);
  }
  std::map<std::string, std::string> scanned = ScanAll(&client_);
  ASSERT_EQ(scanned.size(), expected.size());
  for (const auto& [key, entry] : expected) {
    EXPECT_EQ(scanned[key], entry.first) << "key " << protocol::QuoteText(key);
  }
}

TEST_F(BinarySafetyTest, AwkwardBytesRoundTripThroughBatchCasAndIncr) {
  std::vector<protocol::BatchOp> ops;
  for (const auto& [key, value] : AwkwardPairs()) ops.push_back({false, key, value});
  ASSERT_EQ(Call(&client_, BatchRequest(ops)), Response::OkVersion(1));
  for (const auto& [key, value] : AwkwardPairs()) {
    EXPECT_EQ(Call(&client_, GetRequest(key)), Response::OkValue(value, 1))
        << "key " << protocol::QuoteText(key);
  }
  EXPECT_EQ(Call(&client_, CasRequest("\0"s, 1, "\r\n\0"s)), Response::OkVersion(2));
  EXPECT_EQ(Call(&client_, GetRequest("\0"s)), Response::OkValue("\r\n\0"s, 2));
  EXPECT_EQ(Call(&client_, IncrRequest("\xff\0"s, 3)), Response::OkValue("3", 3));
  EXPECT_EQ(Call(&client_, DeleteRequest(""s)), Response::OkVersion(4));
  EXPECT_EQ(Call(&client_, GetRequest(""s)), Response::NotFound());
}

TEST_F(BinarySafetyTest, AwkwardBytesSurviveARestart) {
  for (const auto& [key, value] : AwkwardPairs()) PutOk(&client_, key, value);
  ASSERT_NO_FATAL_FAILURE(RestartServer());
  TestClient after;
  ASSERT_NO_FATAL_FAILURE(Connect(&after));
  std::map<std::string, std::string> expected(AwkwardPairs().begin(), AwkwardPairs().end());
  EXPECT_EQ(ScanAll(&after), expected);
}

TEST_F(BinarySafetyTest, OneMebibyteValueRoundTrips) {
  std::string value(1 << 20, '\0');
  for (size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<char>((i * 131 + i / 256) & 0xff);
  EXPECT_EQ(Call(&client_, PutRequest("big", value)), Response::OkVersion(1));
  Response got = Call(&client_, GetRequest("big"));
  ASSERT_EQ(got.status, StatusCode::kOk);
  ASSERT_EQ(got.fields.size(), 2u);
  EXPECT_TRUE(got.fields[0] == value)
      << "the 1 MiB value came back changed, " << got.fields[0].size() << " bytes";
  ScanResult page = ScanOf(Call(&client_, ScanRequest("", "", 0)));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_TRUE(page.entries[0].second == value);
  EXPECT_EQ(Call(&client_, PingRequest(value)), Response::Ok({value}));
}

TEST_F(BinarySafetyTest, DefaultKeyLimitIs65536Bytes) {
  const std::string at_limit(65536, 'k');
  const std::string over_limit(65537, 'k');
  EXPECT_EQ(Call(&client_, PutRequest(at_limit, "v")), Response::OkVersion(1));
  EXPECT_EQ(Call(&client_, GetRequest(at_limit)), Response::OkValue("v", 1));
  Response response = Call(&client_, PutRequest(over_limit, "v"));
  EXPECT_EQ(response.status, StatusCode::kTooLarge) << testing::PrintToString(response);
  EXPECT_EQ(Call(&client_, GetRequest(over_limit)).status, StatusCode::kTooLarge);
  EXPECT_EQ(Call(&client_, PingRequest()), Response::Ok());
}

}  // namespace
}  // namespace cairn::server_test
