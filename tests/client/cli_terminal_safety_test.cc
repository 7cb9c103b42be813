// cairn-cli never lets a server's bytes drive the terminal (issue 14): ESC,
// other C0 controls, DEL and C1 controls in error messages, STATS, refused
// AUTH messages and quoted answers print escaped, while well-formed UTF-8
// text is kept. A real cairnd never puts such bytes in its messages, so a
// fake server (fake_server.h) plays a malicious one; values come from the
// real one. Raw payloads stay byte-exact (cli_output_test.cc).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/client/cli_test_util.h"
#include "tests/client/fake_server.h"

namespace cairn::client_test {
namespace {

using protocol::FrameHeader;
using protocol::Opcode;
using protocol::Response;
using protocol::StatusCode;

// Clears the screen, sets the window title, rings the bell, CSI (C1, raw and
// as UTF-8), DEL, a lone continuation byte; then UTF-8 text to keep.
const std::string kHostile =
    "\x1b[2J\x1b]0;owned\x07 \x9b"
    "31m \xc2\x9b"
    "1m \x7f\x80 caf\xc3\xa9 \xe2\x9c\x93";
const std::string kEscaped =
    "\\x1b[2J\\x1b]0;owned\\x07 \\x9b31m \\xc2\\x9b1m \\x7f\\x80 caf\xc3\xa9 \xe2\x9c\x93";

// True when text holds no byte a terminal would act on: no C0 but '\n', no
// DEL, no C1 as a raw byte. (UTF-8 encoded C1 is checked by kEscaped.)
testing::AssertionResult Inert(const std::string& text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\n') || byte == 0x7f) {
      return testing::AssertionFailure() << "control byte in " << protocol::QuoteText(text);
    }
  }
  return testing::AssertionSuccess();
}

class CliTerminalSafetyTest : public CliTest {
 protected:
  // Runs cairn-cli against fake with args.
  RunOutput RunAgainst(const FakeServer& fake, const std::vector<std::string>& args,
                       std::map<std::string, std::optional<std::string>> env = {}) const {
    std::vector<std::string> argv = {CAIRN_CLI_PATH, "-h", "127.0.0.1", "-p",
                                     std::to_string(fake.port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, CliEnvironment(std::move(env)));
  }
};

// Answers every request with response.
FakeServer::Script Always(Response response) {
  return [response](const FrameHeader& request) {
    return FakeServer::Action{.reply = FakeServer::Answer(request, response), .close = false};
  };
}

TEST_F(CliTerminalSafetyTest, ServerErrorMessagesPrintEscapedInEveryFormat) {
  FakeServer fake(Always(Response::Failure(StatusCode::kIoError, kHostile)));
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--no-raw", "GET", "k"}, {"--raw", "GET", "k"}, {"--hex", "GET", "k"}}) {
    const RunOutput run = RunAgainst(fake, args);
    EXPECT_EQ(run.exit_code, 2) << Describe(run);
    EXPECT_NE((run.out + run.err).find("IO_ERROR " + kEscaped + "\n"), std::string::npos)
        << args[0] << ": " << Describe(run);
    EXPECT_TRUE(Inert(run.out)) << args[0];
    EXPECT_TRUE(Inert(run.err)) << args[0];
  }
}

TEST_F(CliTerminalSafetyTest, PipeModeReportsEscapedErrors) {
  FakeServer fake(Always(Response::Failure(StatusCode::kIoError, kHostile)));
  std::vector<std::string> argv = {
      CAIRN_CLI_PATH, "-h", "127.0.0.1", "-p", std::to_string(fake.port()), "--pipe"};
  const RunOutput run = RunProcess(argv, CliEnvironment(), "PUT k v\n");
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_NE(run.err.find("line 1: IO_ERROR " + kEscaped + "\n"), std::string::npos)
      << Describe(run);
  EXPECT_TRUE(Inert(run.err));
}

TEST_F(CliTerminalSafetyTest, StatsPrintsEscaped) {
  FakeServer fake(Always(Response::Ok({"{\"note\":\"" + kHostile + "\"}"})));
  const RunOutput quoted = RunAgainst(fake, {"--no-raw", "STATS"});
  EXPECT_EQ(quoted.exit_code, 0) << Describe(quoted);
  EXPECT_NE(quoted.out.find(kEscaped), std::string::npos) << Describe(quoted);
  EXPECT_TRUE(Inert(quoted.out));

  // Raw, the document must parse as JSON first, which admits DEL and C1
  // encoded in UTF-8 in a string, but no C0.
  FakeServer json_fake(
      Always(Response::Ok({"{\"note\":\"\xc2\x9b"
                           "2J\x7f\"}"})));
  const RunOutput raw = RunAgainst(json_fake, {"--raw", "STATS"});
  EXPECT_EQ(raw.exit_code, 0) << Describe(raw);
  EXPECT_EQ(raw.out, "{\"note\":\"\\xc2\\x9b2J\\x7f\"}\n") << Describe(raw);
}

TEST_F(CliTerminalSafetyTest, RefusedAuthMessagePrintsEscaped) {
  FakeServer fake(Always(Response::Failure(StatusCode::kUnauthorized, kHostile)));
  const RunOutput run = RunAgainst(fake, {"PING"}, {{"CAIRN_AUTH_TOKEN", "t"}});
  EXPECT_EQ(run.exit_code, 2) << Describe(run);
  EXPECT_NE(run.err.find("authentication failed: " + kEscaped), std::string::npos) << Describe(run);
  EXPECT_TRUE(Inert(run.err));
}

TEST_F(CliTerminalSafetyTest, QuotedValuesAndIncrAnswersPrintEscaped) {
  // A real server stores the bytes; quoted output (the terminal's default)
  // shows them escaped.
  Client client(Options());
  ASSERT_TRUE(Ok(client.Put("k", kHostile)));
  const RunOutput get = RunCli({"--no-raw", "GET", "k"});
  EXPECT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_TRUE(Inert(get.out)) << Describe(get);
  EXPECT_NE(get.out.find("\\x1b[2J"), std::string::npos) << Describe(get);

  // INCR's answer is printed as a number, unquoted: a malicious server
  // could answer anything there.
  FakeServer fake(Always(Response::OkValue(kHostile, 1)));
  const RunOutput incr = RunAgainst(fake, {"--no-raw", "INCR", "n"});
  EXPECT_NE(incr.out.find("OK 1 " + kEscaped), std::string::npos) << Describe(incr);
  EXPECT_TRUE(Inert(incr.out));
}

}  // namespace
}  // namespace cairn::client_test
