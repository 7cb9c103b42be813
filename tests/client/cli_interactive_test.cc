// cairn-cli's interactive mode on a real pseudo-terminal: libedit line
// editing (cursor keys), history (up-arrow, ~/.cairn_history, never AUTH
// lines), help, and timing suffixes on a terminal.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cctype>
#include <string>

#include "tests/client/cli_test_util.h"
#include "tests/client/pty_process.h"

namespace cairn::client_test {
namespace {

constexpr char kEnter[] = "\r";
constexpr char kLeft[] = "\x1b[D";
constexpr char kUp[] = "\x1b[A";

// libedit saves history lines vis(3)-encoded: a space is \040.
std::string DecodeHistory(const std::string& file) {
  std::string text;
  for (size_t i = 0; i < file.size(); ++i) {
    if (file[i] == '\\' && i + 3 < file.size() &&
        std::isdigit(static_cast<unsigned char>(file[i + 1]))) {
      text.push_back(static_cast<char>(std::stoi(file.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      text.push_back(file[i]);
    }
  }
  return text;
}

class CliInteractiveTest : public CliTest {
 protected:
  void StartCli(PtyProcess* cli) {
    ASSERT_TRUE(cli->Start(CliArgv({}), CliEnvironment()));
    ASSERT_TRUE(cli->WaitFor(Prompt()));
  }

  std::string Prompt() const { return "127.0.0.1:" + std::to_string(server_->port()) + "> "; }
  std::string HistoryFile() const { return home_.file(".cairn_history"); }
};

TEST_F(CliInteractiveTest, CursorKeysEditTheLine) {
  PtyProcess cli;
  ASSERT_NO_FATAL_FAILURE(StartCli(&cli));
  cli.Send(std::string("PUT k1 v1") + kEnter);
  ASSERT_TRUE(cli.WaitFor("OK 1"));
  ASSERT_TRUE(cli.WaitFor(Prompt()));

  // "GET 1", cursor left over the "1", insert "k": the line sent is "GET k1".
  cli.Send(std::string("GET 1") + kLeft + "k" + kEnter);
  ASSERT_TRUE(cli.WaitFor("OK 1 \"v1\""));
  cli.Send(std::string("quit") + kEnter);
  EXPECT_EQ(cli.WaitExit(), std::optional<int>(0)) << cli.output();
}

TEST_F(CliInteractiveTest, UpArrowRecallsThePreviousCommand) {
  PtyProcess cli;
  ASSERT_NO_FATAL_FAILURE(StartCli(&cli));
  cli.Send(std::string("INCR n") + kEnter);
  ASSERT_TRUE(cli.WaitFor("OK 1 1"));
  ASSERT_TRUE(cli.WaitFor(Prompt()));
  cli.Send(std::string(kUp) + kEnter);
  ASSERT_TRUE(cli.WaitFor("OK 2 2"));
  cli.Send(std::string("exit") + kEnter);
  EXPECT_EQ(cli.WaitExit(), std::optional<int>(0)) << cli.output();
}

TEST_F(CliInteractiveTest, HistoryIsSavedWithoutAuthAndRecalledNextTime) {
  {
    PtyProcess cli;
    ASSERT_NO_FATAL_FAILURE(StartCli(&cli));
    cli.Send(std::string("PUT greeting hello") + kEnter);
    ASSERT_TRUE(cli.WaitFor("OK 1"));
    ASSERT_TRUE(cli.WaitFor(Prompt()));
    cli.Send(std::string("AUTH not-for-the-history") + kEnter);
    ASSERT_TRUE(cli.WaitFor(Prompt()));
    cli.Send(std::string("  auth \"also not\"") + kEnter);
    ASSERT_TRUE(cli.WaitFor(Prompt()));
    cli.Send(std::string("GET greeting") + kEnter);
    ASSERT_TRUE(cli.WaitFor("OK 1 \"hello\""));
    cli.Send(std::string("quit") + kEnter);
    ASSERT_EQ(cli.WaitExit(), std::optional<int>(0)) << cli.output();
  }
  const std::string history = DecodeHistory(ReadFile(HistoryFile()));
  EXPECT_NE(history.find("PUT greeting hello"), std::string::npos) << history;
  EXPECT_NE(history.find("GET greeting"), std::string::npos) << history;
  EXPECT_EQ(history.find("not-for-the-history"), std::string::npos) << history;
  EXPECT_EQ(history.find("also not"), std::string::npos) << history;
  struct stat info;
  ASSERT_EQ(stat(HistoryFile().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  // A new session starts from the saved history: up-arrow twice skips
  // "quit" and recalls "GET greeting".
  PtyProcess cli;
  ASSERT_NO_FATAL_FAILURE(StartCli(&cli));
  cli.Send(std::string(kUp) + kUp + kEnter);
  ASSERT_TRUE(cli.WaitFor("OK 1 \"hello\""));
  cli.Send(std::string("quit") + kEnter);
  EXPECT_EQ(cli.WaitExit(), std::optional<int>(0)) << cli.output();
}

TEST_F(CliInteractiveTest, AuthIsRecognisedAfterDecodingItsQuotingAndNeverSaved) {
  {
    PtyProcess cli;
    ASSERT_NO_FATAL_FAILURE(StartCli(&cli));
    for (const std::string line : {
             "\"\\x41UTH\" escaped-secret",        // "\x41UTH": A by its code
             "\"aUtH\" quoted-secret",             // quoted, mixed case
             "  \"\\x61uth\"  \"spaced-secret\"",  // escaped lowercase, spaced
             "\"\\x41UTH\" \"broken-secret\\q\"",  // does not tokenize: kept out
             "PUT greeting \"unterminated",        // does not tokenize, not AUTH
             "GET greeting",
         }) {
      cli.Send(line + kEnter);
      ASSERT_TRUE(cli.WaitFor(Prompt())) << line;
    }
    cli.Send(std::string("quit") + kEnter);
    ASSERT_EQ(cli.WaitExit(), std::optional<int>(0)) << cli.output();
  }
  const std::string history = DecodeHistory(ReadFile(HistoryFile()));
  EXPECT_EQ(history.find("secret"), std::string::npos) << history;
  // (libedit may escape the quote in the file; the word is enough.)
  EXPECT_NE(history.find("unterminated"), std::string::npos) << history;
  EXPECT_NE(history.find("GET greeting"), std::string::npos) << history;
}

TEST_F(CliInteractiveTest, HelpAndErrorsAndTiming) {
  PtyProcess cli;
  ASSERT_NO_FATAL_FAILURE(StartCli(&cli));
  cli.Send(std::string("help") + kEnter);
  ASSERT_TRUE(cli.WaitFor("CAS key expected_version value"));
  ASSERT_TRUE(cli.WaitFor("SCAN --prefix prefix"));
  ASSERT_TRUE(cli.WaitFor(Prompt()));

  cli.Send(std::string("PUT \"x\\x00y\" 1") + kEnter);
  ASSERT_TRUE(cli.WaitFor("OK 1"));
  ASSERT_TRUE(cli.WaitFor(Prompt()));
  cli.Send(std::string("FROB") + kEnter);  // an error does not end the session
  ASSERT_TRUE(cli.WaitFor("UNKNOWN_OPCODE"));
  ASSERT_TRUE(cli.WaitFor(Prompt()));
  cli.Send(std::string("scan --prefix x") + kEnter);
  ASSERT_TRUE(cli.WaitFor("\"x\\x00y\" \"1\""));
  ASSERT_TRUE(cli.WaitFor("(1 key)"));
  cli.Send(std::string("quit") + kEnter);
  EXPECT_EQ(cli.WaitExit(), std::optional<int>(0)) << cli.output();

  // On a terminal, answers carry their round trip time.
  EXPECT_TRUE(MatchesPattern(cli.output(), "*OK 1  (#.# ms)*"))
      << protocol::QuoteText(cli.output());
}

}  // namespace
}  // namespace cairn::client_test
