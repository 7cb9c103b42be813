// cairn-cli output formats, byte for byte: raw (the default when stdout is
// not a terminal), hex, and quoted like the text protocol (--no-raw).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/client/cli_test_util.h"

namespace cairn::client_test {
namespace {

class CliOutputTest : public CliTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CliTest::SetUp());
    client_ = std::make_unique<Client>(Options());
    ASSERT_TRUE(Ok(client_->Put("bin", value_)));  // version 1
  }

  const std::string value_ = std::string("a\0b\r\n\xff", 6);
  std::unique_ptr<Client> client_;
};

TEST_F(CliOutputTest, RawIsTheDefaultOffATerminalAndIsByteExact) {
  const RunOutput run = RunCli({"GET", "bin"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.out, value_ + "\n");
  EXPECT_EQ(RunCli({"--raw", "GET", "bin"}).out, value_ + "\n");
}

TEST_F(CliOutputTest, HexPrintsLowercaseDigits) {
  const RunOutput run = RunCli({"--hex", "GET", "bin"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.out, "6100620d0aff\n");
}

TEST_F(CliOutputTest, NoRawQuotesLikeTheTextProtocolWithoutTiming) {
  const RunOutput run = RunCli({"--no-raw", "GET", "bin"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.out, "OK 1 \"a\\x00b\\r\\n\\xff\"\n");  // no timing off a terminal
  EXPECT_EQ(RunCli({"--no-raw", "GET", "absent"}).out, "NOT_FOUND\n");
  EXPECT_EQ(RunCli({"--no-raw", "PUT", "k", "v"}).out, "OK 2\n");
}

TEST_F(CliOutputTest, RawSendsErrorsToStderr) {
  const RunOutput run = RunCli({"CAS", "bin", "7", "x"});
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "VERSION_MISMATCH 1\n");
}

TEST_F(CliOutputTest, EveryCommandHasARawForm) {
  EXPECT_EQ(RunCli({"PUT", "n", "41"}).out, "2\n");
  EXPECT_EQ(RunCli({"INCR", "n"}).out, "42\n");
  EXPECT_EQ(RunCli({"PING"}).out, "OK\n");
  EXPECT_EQ(RunCli({"PING", "hello"}).out, "hello\n");
  EXPECT_EQ(RunCli({"SCAN", "", ""}).out, "bin\n" + value_ + "\nn\n42\n");
  EXPECT_EQ(RunCli({"--hex", "SCAN", "n", ""}).out, "6e\n3432\n");
  EXPECT_EQ(RunCli({"DEL", "n"}).out, "4\n");
  const RunOutput stats = RunCli({"STATS"});
  nlohmann::json document = nlohmann::json::parse(stats.out, nullptr, false);
  ASSERT_TRUE(document.is_object()) << Describe(stats);
  EXPECT_EQ(document["keys"], 1);
  EXPECT_EQ(RunCli({"SNAPSHOT"}).exit_code, 0);
}

TEST_F(CliOutputTest, ScanPrefixPagesThroughEveryKey) {
  for (int i = 0; i < 1200; ++i) {  // more than one page of the server's default
    ASSERT_TRUE(Ok(client_->Put("p:" + std::to_string(10000 + i), "v")));
  }
  const RunOutput raw = RunCli({"SCAN", "--prefix", "p:"});
  ASSERT_EQ(raw.exit_code, 0) << Describe(raw);
  EXPECT_EQ(std::count(raw.out.begin(), raw.out.end(), '\n'), 2400);
  EXPECT_EQ(raw.out.substr(0, 10), "p:10000\nv\n");

  const RunOutput quoted = RunCli({"--no-raw", "scan", "--prefix", "p:1000"});
  ASSERT_EQ(quoted.exit_code, 0) << Describe(quoted);
  std::string expected;
  for (int i = 0; i < 10; ++i) expected += "\"p:1000" + std::to_string(i) + "\" \"v\"\n";
  EXPECT_EQ(quoted.out, expected + "(10 keys)\n");
}

}  // namespace
}  // namespace cairn::client_test
