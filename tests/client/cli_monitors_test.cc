// cairn-cli --latency and --stat: their lines, their --count, and Ctrl-C.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/client/cli_test_util.h"

namespace cairn::client_test {
namespace {

using CliMonitorsTest = CliTest;

TEST_F(CliMonitorsTest, LatencyReportsMinMaxAvgOfCountSamples) {
  const RunOutput run = RunCli({"--latency", "--count", "5"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_TRUE(MatchesPattern(run.out, "min: #.#, max: #.#, avg: #.# (5 samples)\n"))
      << Describe(run);
}

TEST_F(CliMonitorsTest, LatencyStopsAtCtrlCWithItsLastLine) {
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const pid_t pid =
      Spawn({.argv = CliArgv({"--latency"}), .env = CliEnvironment(), .stdout_fd = out[1]});
  close(out[1]);
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(300ms);
  kill(pid, SIGINT);
  EXPECT_EQ(WaitExit(pid, 10s), std::optional<int>(0));
  char text[256];
  const ssize_t n = read(out[0], text, sizeof(text));
  close(out[0]);
  EXPECT_TRUE(MatchesPattern(std::string(text, n > 0 ? n : 0), "min: * (# samples)\n"));
}

TEST_F(CliMonitorsTest, LatencyAgainstNoServerIsAnError) {
  const RunOutput run = RunProcess(
      {CAIRN_CLI_PATH, "-p", std::to_string(test::UnusedPort()), "--latency"}, CliEnvironment());
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_NE(run.err.find("Connection refused"), std::string::npos) << Describe(run);
}

TEST_F(CliMonitorsTest, StatPrintsAHeaderThenALinePerInterval) {
  Client client(Options());
  ASSERT_TRUE(Ok(client.Put("a", "1")));
  ASSERT_TRUE(Ok(client.Put("b", "2")));
  const RunOutput run = RunCli({"--stat", "--count", "3", "--interval", "0.1"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_TRUE(MatchesPattern(run.out,
                             "keys~ops/s~connections~last_version\n"
                             "2~-~#~2\n"
                             "2~#~#~2\n"
                             "2~#~#~2\n"))
      << Describe(run);
}

}  // namespace
}  // namespace cairn::client_test
