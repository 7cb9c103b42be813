// cairn-cli one-shot mode: one command from the command line, its answer on
// stdout, and the exit code: 0 OK, 1 NOT_FOUND or VERSION_MISMATCH, 2 error.
#include <gtest/gtest.h>

#include <string>

#include "tests/client/cli_test_util.h"
#include "tests/client/fake_server.h"

namespace cairn::client_test {
namespace {

using CliOneShotTest = CliTest;

TEST_F(CliOneShotTest, ExitCodesFollowTheAnswer) {
  RunOutput put = RunCli({"PUT", "k", "v"});
  EXPECT_EQ(put.exit_code, 0) << Describe(put);
  EXPECT_EQ(put.out, "1\n");

  RunOutput found = RunCli({"GET", "k"});
  EXPECT_EQ(found.exit_code, 0) << Describe(found);
  RunOutput absent = RunCli({"GET", "absent"});
  EXPECT_EQ(absent.exit_code, 1) << Describe(absent);
  EXPECT_EQ(absent.out, "");
  RunOutput mismatch = RunCli({"CAS", "k", "99", "w"});
  EXPECT_EQ(mismatch.exit_code, 1) << Describe(mismatch);
  RunOutput type_error = RunCli({"INCR", "k"});
  EXPECT_EQ(type_error.exit_code, 2) << Describe(type_error);
  EXPECT_NE(type_error.err.find("TYPE_ERROR"), std::string::npos) << Describe(type_error);
  RunOutput deleted = RunCli({"del", "k"});  // commands are case-insensitive
  EXPECT_EQ(deleted.exit_code, 0) << Describe(deleted);
  RunOutput delete_again = RunCli({"DEL", "k"});
  EXPECT_EQ(delete_again.exit_code, 1) << Describe(delete_again);
}

TEST_F(CliOneShotTest, MalformedCommandsAreErrors) {
  RunOutput unknown = RunCli({"FROB", "k"});
  EXPECT_EQ(unknown.exit_code, 2) << Describe(unknown);
  EXPECT_NE(unknown.err.find("UNKNOWN_OPCODE"), std::string::npos) << Describe(unknown);
  RunOutput missing = RunCli({"PUT", "k"});
  EXPECT_EQ(missing.exit_code, 2) << Describe(missing);
  EXPECT_NE(missing.err.find("BAD_REQUEST"), std::string::npos) << Describe(missing);
  RunOutput not_a_number = RunCli({"INCR", "k", "ten"});
  EXPECT_EQ(not_a_number.exit_code, 2) << Describe(not_a_number);
  RunOutput usage = RunCli({"--no-such-flag"});
  EXPECT_EQ(usage.exit_code, 2) << Describe(usage);
  RunOutput both = RunCli({"--pipe", "GET", "k"});
  EXPECT_EQ(both.exit_code, 2) << Describe(both);
}

TEST_F(CliOneShotTest, ArgumentsAreTakenLiterally) {
  // A key that starts with '-', and bytes that the text syntax would escape.
  const std::string key = "-\"quoted\\ \xff\r\n";
  RunOutput put = RunCli({"PUT", key, "a b"});
  ASSERT_EQ(put.exit_code, 0) << Describe(put);
  Client client(Options());
  EXPECT_EQ(client.Get(key).value()->value, "a b");
}

TEST_F(CliOneShotTest, HelpListsTheExitCodes) {
  RunOutput help = RunCli({"--help"});
  EXPECT_EQ(help.exit_code, 0) << Describe(help);
  EXPECT_NE(help.out.find("Exit codes:"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("CAIRN_AUTH_TOKEN"), std::string::npos) << help.out;
}

TEST_F(CliOneShotTest, RefusedConnectionIsAClearError) {
  const RunOutput run = RunProcess(
      {CAIRN_CLI_PATH, "-p", std::to_string(test::UnusedPort()), "PING"}, CliEnvironment());
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_NE(run.err.find("cannot connect to 127.0.0.1:"), std::string::npos) << Describe(run);
  EXPECT_NE(run.err.find("Connection refused"), std::string::npos) << Describe(run);
}

TEST_F(CliOneShotTest, SilentServerIsATimeout) {
  FakeServer silent([](const protocol::FrameHeader&) { return FakeServer::Action{}; });
  const RunOutput run = RunProcess(
      {CAIRN_CLI_PATH, "-p", std::to_string(silent.port()), "--timeout-ms", "300", "GET", "k"},
      CliEnvironment());
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_NE(run.err.find("timed out"), std::string::npos) << Describe(run);
}

class CliAuthTest : public CliTest {
 protected:
  void SetUp() override {
    WriteFile(token_dir_.file("token"), "s3cret-token-for-cli\n");
    ASSERT_NO_FATAL_FAILURE(StartServer({"--auth-token-file", token_dir_.file("token")}));
  }
  TempDir token_dir_;
};

TEST_F(CliAuthTest, TokenComesFromAFileOrTheEnvironment) {
  RunOutput no_token = RunCli({"GET", "k"});
  EXPECT_EQ(no_token.exit_code, 2) << Describe(no_token);
  EXPECT_NE(no_token.err.find("UNAUTHORIZED"), std::string::npos) << Describe(no_token);
  EXPECT_NE(no_token.err.find("--auth-token-file"), std::string::npos) << Describe(no_token);

  RunOutput from_file = RunCli({"--auth-token-file", token_dir_.file("token"), "PUT", "k", "v"});
  EXPECT_EQ(from_file.exit_code, 0) << Describe(from_file);
  RunOutput from_env = RunCli({"GET", "k"}, "", {{"CAIRN_AUTH_TOKEN", "s3cret-token-for-cli"}});
  EXPECT_EQ(from_env.exit_code, 0) << Describe(from_env);
  EXPECT_EQ(from_env.out, "v\n");
}

TEST_F(CliAuthTest, WrongTokenIsAClearError) {
  RunOutput wrong = RunCli({"GET", "k"}, "", {{"CAIRN_AUTH_TOKEN", "guess"}});
  EXPECT_EQ(wrong.exit_code, 2) << Describe(wrong);
  EXPECT_NE(wrong.err.find("authentication failed"), std::string::npos) << Describe(wrong);
  RunOutput missing_file = RunCli({"--auth-token-file", token_dir_.file("none"), "GET", "k"});
  EXPECT_EQ(missing_file.exit_code, 2) << Describe(missing_file);
  EXPECT_NE(missing_file.err.find("--auth-token-file"), std::string::npos)
      << Describe(missing_file);
}

}  // namespace
}  // namespace cairn::client_test
