// cairn-cli --pipe: commands from stdin, pipelined; bad lines are reported
// and counted, never sent, and never make it hang.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/client/cli_test_util.h"

namespace cairn::client_test {
namespace {

using CliPipeTest = CliTest;

TEST_F(CliPipeTest, BulkLoadsTenThousandLines) {
  std::string input;
  for (int i = 0; i < 10000; ++i) {
    input += "PUT key:" + std::to_string(i) + " \"v\\x00" + std::to_string(i) + "\"\n";
  }
  const RunOutput run = RunCli({"--pipe"}, input);
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.out, "sent: 10000, ok: 10000, not_found: 0, version_mismatch: 0, errors: 0\n");
  EXPECT_EQ(run.err, "");
  Client client(Options());
  EXPECT_EQ(client.Get("key:9999").value()->value, std::string("v\0"
                                                               "9999",
                                                               6));
  EXPECT_EQ(client.Stats().value()["keys"], 10000);
}

TEST_F(CliPipeTest, MalformedLinesAreReportedAndSkipped) {
  const std::string input =
      "PUT a 1\n"
      "PUT b \"unterminated\n"
      "FROB x\n"
      "GET\n"
      "INCR a ten\n"
      "\r\n"
      "   \t \n"
      "POST / HTTP/1.1\n" +
      std::string("\x01\x02\xff\0 garbage\n", 13) +
      "GET missing\n"
      "CAS a 99 x\n"
      "INCR a\n"
      "PUT \"bad\\q\" v\n"
      "GET a";  // the last line has no newline
  const RunOutput run = RunCli({"--pipe"}, input);
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_EQ(run.out, "sent: 5, ok: 3, not_found: 1, version_mismatch: 1, errors: 7\n")
      << Describe(run);
  for (const char* expected :
       {"line 2: BAD_REQUEST", "line 3: UNKNOWN_OPCODE", "line 4: BAD_REQUEST",
        "line 5: BAD_REQUEST", "line 8: UNKNOWN_OPCODE", "line 9: UNKNOWN_OPCODE",
        "line 13: BAD_REQUEST"}) {
    EXPECT_NE(run.err.find(expected), std::string::npos) << expected << "\n" << Describe(run);
  }
  Client client(Options());
  EXPECT_EQ(client.Get("a").value()->value, "2");
}

TEST_F(CliPipeTest, ErrorAnswersNameTheirLine) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max-value-bytes", "8"}));
  const RunOutput run = RunCli({"--pipe"}, "PUT a 12345678\nPUT b 123456789\nPUT c 1\n");
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_EQ(run.out, "sent: 3, ok: 2, not_found: 0, version_mismatch: 0, errors: 1\n");
  EXPECT_EQ(run.err.rfind("line 2: TOO_LARGE", 0), 0u) << Describe(run);
}

TEST_F(CliPipeTest, LineLongerThanTheFrameLimitEndsTheInput) {
  const std::string input = "PUT a 1\nPUT big " + std::string(34'000'000, 'x') + "\nPUT c 3\n";
  const RunOutput run = RunCli({"--pipe"}, input);
  EXPECT_EQ(run.exit_code, 2) << run.exit_code << run.err;
  EXPECT_EQ(run.out, "sent: 1, ok: 1, not_found: 0, version_mismatch: 0, errors: 1\n");
  EXPECT_EQ(run.err,
            "line 2: TOO_LARGE line longer than the frame limit of 33554432 bytes; input ignored "
            "from here\n");
}

TEST_F(CliPipeTest, QuitEndsTheInput) {
  const RunOutput run = RunCli({"--pipe"}, "PUT a 1\nQUIT\nPUT b 2\n");
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.out, "sent: 1, ok: 1, not_found: 0, version_mismatch: 0, errors: 0\n");
  Client client(Options());
  EXPECT_FALSE(client.Get("b").value().has_value());
}

TEST_F(CliPipeTest, LinesOfASlowProducerAreSentWithoutWaitingForTheEnd) {
  int in[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const pid_t pid = Spawn({.argv = CliArgv({"--pipe"}),
                           .env = CliEnvironment(),
                           .stdin_fd = in[0],
                           .stdout_fd = out[1]});
  close(in[0]);
  close(out[1]);
  ASSERT_GT(pid, 0);
  const std::string line = "PUT early 1\n";
  ASSERT_EQ(write(in[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));

  // stdin stays open: the request must still reach the server.
  Client client(Options());
  bool arrived = false;
  for (int i = 0; i < 500 && !arrived; ++i) {
    arrived = client.Get("early").value().has_value();
    if (!arrived) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(arrived);

  close(in[1]);
  EXPECT_EQ(WaitExit(pid, 10s), std::optional<int>(0));
  char summary[256];
  const ssize_t n = read(out[0], summary, sizeof(summary));
  close(out[0]);
  EXPECT_EQ(std::string(summary, n > 0 ? n : 0),
            "sent: 1, ok: 1, not_found: 0, version_mismatch: 0, errors: 0\n");
}

TEST_F(CliPipeTest, UnreachableServerIsAnError) {
  const RunOutput run =
      RunProcess({CAIRN_CLI_PATH, "-p", std::to_string(test::UnusedPort()), "--pipe"},
                 CliEnvironment(), "PUT a 1\n");
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_NE(run.err.find("Connection refused"), std::string::npos) << Describe(run);
}

}  // namespace
}  // namespace cairn::client_test
