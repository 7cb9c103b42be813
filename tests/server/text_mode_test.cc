// Text mode (docs/protocol.md section 6) through a raw socket, the way netcat
// would drive it: every command, quoting and escapes, SCAN's lines, errors,
// QUIT, and the cross-protocol lines that close the connection at once.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using namespace std::string_literals;
using protocol::Response;

class TextModeTest : public CairndTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer());
    ASSERT_NO_FATAL_FAILURE(Connect(&client_));
  }

  // Sends one line (adding "\n") and returns the answer line.
  std::string Line(const std::string& line) {
    if (!client_.SendRaw(line + "\n")) return "<send failed: " + client_.error() + ">";
    return Next();
  }

  // The next answer line, or "<...>" describing why there is none.
  std::string Next() {
    std::optional<std::string> answer = client_.ReadLine();
    return answer ? *answer : "<no line: " + client_.error() + ">";
  }

  // Expects the line to start with "<status> " followed by a message.
  void ExpectError(const std::string& request, const std::string& status) {
    std::string answer = Line(request);
    EXPECT_EQ(answer.substr(0, status.size() + 1), status + " ")
        << "request " << protocol::QuoteText(request) << " answered " << answer;
    EXPECT_GT(answer.size(), status.size() + 1) << "no message in " << answer;
  }

  TestClient client_;
};

TEST_F(TextModeTest, Ping) {
  EXPECT_EQ(Line("PING"), "OK");
  EXPECT_EQ(Line("PING hello"), "OK \"hello\"");
  EXPECT_EQ(Line("PING \"two words\""), "OK \"two words\"");
  EXPECT_EQ(Line("PING \"\\x00\\xFF\""), "OK \"\\x00\\xff\"");
}

TEST_F(TextModeTest, CommandsAreCaseInsensitive) {
  EXPECT_EQ(Line("ping"), "OK");
  EXPECT_EQ(Line("Put k v"), "OK 1");
  EXPECT_EQ(Line("gEt k"), "OK 1 \"v\"");
}

TEST_F(TextModeTest, CarriageReturnBeforeTheNewlineIsDropped) {
  EXPECT_EQ(Line("PUT k v\r"), "OK 1");
  EXPECT_EQ(Line("GET k\r"), "OK 1 \"v\"");
}

TEST_F(TextModeTest, PutSetGetDelete) {
  EXPECT_EQ(Line("GET k"), "NOT_FOUND");
  EXPECT_EQ(Line("PUT k v"), "OK 1");
  EXPECT_EQ(Line("GET k"), "OK 1 \"v\"");
  EXPECT_EQ(Line("SET k w"), "OK 2");
  EXPECT_EQ(Line("GET k"), "OK 2 \"w\"");
  EXPECT_EQ(Line("DEL k"), "OK 3");
  EXPECT_EQ(Line("GET k"), "NOT_FOUND");
  EXPECT_EQ(Line("DEL k"), "NOT_FOUND");
  EXPECT_EQ(Line("PUT k x"), "OK 4");
  EXPECT_EQ(Line("DELETE k 2"), "VERSION_MISMATCH 4");
  EXPECT_EQ(Line("DEL k 4"), "OK 5");
  EXPECT_EQ(Line("DEL absent 0"), "NOT_FOUND");
  EXPECT_EQ(Line("DEL absent 3"), "VERSION_MISMATCH 0");
}

TEST_F(TextModeTest, Cas) {
  EXPECT_EQ(Line("CAS c 0 one"), "OK 1");
  EXPECT_EQ(Line("CAS c 0 two"), "VERSION_MISMATCH 1");
  EXPECT_EQ(Line("CAS c 1 two"), "OK 2");
  EXPECT_EQ(Line("CAS c 1 three"), "VERSION_MISMATCH 2");
  EXPECT_EQ(Line("GET c"), "OK 2 \"two\"");
}

TEST_F(TextModeTest, Incr) {
  EXPECT_EQ(Line("INCR n"), "OK 1 1");
  EXPECT_EQ(Line("INCR n 41"), "OK 2 42");
  EXPECT_EQ(Line("INCR n -50"), "OK 3 -8");
  EXPECT_EQ(Line("GET n"), "OK 3 \"-8\"");
  EXPECT_EQ(Line("PUT s abc"), "OK 4");
  ExpectError("INCR s", "TYPE_ERROR");
  EXPECT_EQ(Line("GET s"), "OK 4 \"abc\"");
  ExpectError("INCR n 1.5", "BAD_REQUEST");
}

TEST_F(TextModeTest, ScanPrintsAHeaderAndOneLinePerEntry) {
  EXPECT_EQ(Line("PUT a 1"), "OK 1");
  EXPECT_EQ(Line("PUT b 2"), "OK 2");
  EXPECT_EQ(Line("PUT \"c\\n\" \"3\\x00\""), "OK 3");
  EXPECT_EQ(Line("SCAN \"\" \"\""), "OK 3 0");
  EXPECT_EQ(Next(), "\"a\" \"1\"");
  EXPECT_EQ(Next(), "\"b\" \"2\"");
  EXPECT_EQ(Next(), "\"c\\n\" \"3\\x00\"");
  EXPECT_EQ(Line("SCAN a \"\" 2"), "OK 2 1");
  EXPECT_EQ(Next(), "\"a\" \"1\"");
  EXPECT_EQ(Next(), "\"b\" \"2\"");
  EXPECT_EQ(Line("SCAN b c"), "OK 1 0");
  EXPECT_EQ(Next(), "\"b\" \"2\"");
  EXPECT_EQ(Line("SCAN x \"\""), "OK 0 0");
  EXPECT_EQ(Line("PING"), "OK");  // nothing else was queued
}

TEST_F(TextModeTest, StatsIsOneLineOfJson) {
  EXPECT_EQ(Line("PUT a 1"), "OK 1");
  std::string answer = Line("STATS");
  ASSERT_EQ(answer.substr(0, 3), "OK ") << answer;
  nlohmann::json stats = nlohmann::json::parse(answer.substr(3), nullptr, false);
  ASSERT_TRUE(stats.is_object()) << answer;
  EXPECT_EQ(stats.value("keys", -1), 1);
  EXPECT_EQ(stats.value("last_version", -1), 1);
  EXPECT_EQ(stats.value("fsync_policy", ""), "always");
  EXPECT_EQ(Line("PING"), "OK");
}

TEST_F(TextModeTest, Snapshot) {
  EXPECT_EQ(Line("PUT a 1"), "OK 1");
  EXPECT_EQ(Line("PUT b 2"), "OK 2");
  EXPECT_EQ(Line("SNAPSHOT"), "OK 2");
  EXPECT_EQ(Line("PUT c 3"), "OK 3");
}

TEST_F(TextModeTest, QuotedTokensUnderstandEveryEscape) {
  EXPECT_EQ(Line(R"(PUT "key with space" "a\"b\\c\n\r\t\0\x41\xFF")"), "OK 1");
  EXPECT_EQ(Line(R"(GET "key with space")"), R"(OK 1 "a\"b\\c\n\r\t\x00A\xff")");
  // The bytes stored are the unescaped ones, as binary mode sees them.
  TestClient binary;
  ASSERT_NO_FATAL_FAILURE(Connect(&binary));
  EXPECT_EQ(Call(&binary, GetRequest("key with space")),
            Response::OkValue("a\"b\\c\n\r\t\0A\xff"s, 1));
}

TEST_F(TextModeTest, BytesAreQuotedWithLowercaseHexEscapes) {
  TestClient binary;
  ASSERT_NO_FATAL_FAILURE(Connect(&binary));
  EXPECT_EQ(Call(&binary, PutRequest("bin\x01", "\x01\x7f\x80\xff\xab\"\\ ~")),
            Response::OkVersion(1));
  EXPECT_EQ(Line(R"(GET "bin\x01")"), R"(OK 1 "\x01\x7f\x80\xff\xab\"\\ ~")");
  EXPECT_EQ(Line(R"(SCAN "" "")"), "OK 1 0");
  EXPECT_EQ(Next(), R"("bin\x01" "\x01\x7f\x80\xff\xab\"\\ ~")");
}

TEST_F(TextModeTest, EmptyKeyAndValue) {
  EXPECT_EQ(Line(R"(PUT "" "")"), "OK 1");
  EXPECT_EQ(Line(R"(GET "")"), R"(OK 1 "")");
  EXPECT_EQ(Line(R"(SCAN "" "")"), "OK 1 0");
  EXPECT_EQ(Next(), R"("" "")");
}

TEST_F(TextModeTest, TabsAndRepeatedSpacesSeparateTokens) {
  EXPECT_EQ(Line("PUT\tk \t  v"), "OK 1");
  EXPECT_EQ(Line("  GET\t\tk  "), "OK 1 \"v\"");
}

TEST_F(TextModeTest, BlankLinesAreIgnored) {
  // Blank lines between commands get no answer.
  ASSERT_TRUE(client_.SendRaw("PING one\n\n  \n\t\r\n"));
  EXPECT_EQ(Line("PING two"), "OK \"one\"");
  EXPECT_EQ(Next(), "OK \"two\"");
}

// A stray newline (a script's leading echo, a terminal's Enter) or a space
// before the first command must not make the connection binary and silent.
TEST_F(TextModeTest, WhitespaceBeforeTheFirstCommandIsSkipped) {
  for (const std::vector<std::string>& sends : std::vector<std::vector<std::string>>{
           {"\nPING\n"}, {" PING\n"}, {"\r\n\t \nPING\n"}, {"\n", "\n ", "PING one\n"}}) {
    SCOPED_TRACE(testing::PrintToString(sends));
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    client.set_timeout(std::chrono::seconds(1));  // at once: far below the 10 s frame timeout
    for (const std::string& bytes : sends) {
      ASSERT_TRUE(client.SendRaw(bytes)) << client.error();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // separate reads
    }
    std::optional<std::string> answer = client.ReadLine();
    ASSERT_TRUE(answer) << client.error();
    EXPECT_TRUE(*answer == "OK" || *answer == "OK \"one\"") << *answer;
  }
}

TEST_F(TextModeTest, ErrorsKeepTheConnection) {
  ExpectError("FROB x", "UNKNOWN_OPCODE");
  ExpectError("GET", "BAD_REQUEST");
  ExpectError("GET a b", "BAD_REQUEST");
  ExpectError("PUT k", "BAD_REQUEST");
  ExpectError("PUT \"unterminated v", "BAD_REQUEST");
  ExpectError("GET \"a\"b", "BAD_REQUEST");
  ExpectError("GET \"\\q\"", "BAD_REQUEST");
  ExpectError("GET \"\\x4\"", "BAD_REQUEST");
  ExpectError("CAS k x v", "BAD_REQUEST");
  ExpectError("DEL k -1", "BAD_REQUEST");
  ExpectError("SCAN a b c", "BAD_REQUEST");
  ExpectError("STATS now", "BAD_REQUEST");
  EXPECT_EQ(Line("PING"), "OK");
  EXPECT_EQ(Line("GET k"), "NOT_FOUND");
  EXPECT_EQ(Line("PUT k v"), "OK 1");  // none of the errors took a version
}

TEST_F(TextModeTest, PipelinedLinesAreAnsweredInOrder) {
  ASSERT_TRUE(client_.SendRaw("PUT a 1\nPUT a 2\nGET a\nDEL a\nGET a\nINCR a 5\nPING x\n"));
  EXPECT_EQ(Next(), "OK 1");
  EXPECT_EQ(Next(), "OK 2");
  EXPECT_EQ(Next(), "OK 2 \"2\"");
  EXPECT_EQ(Next(), "OK 3");
  EXPECT_EQ(Next(), "NOT_FOUND");
  EXPECT_EQ(Next(), "OK 4 5");
  EXPECT_EQ(Next(), "OK \"x\"");
}

TEST_F(TextModeTest, QuitAnswersOkAndCloses) {
  ASSERT_TRUE(client_.SendRaw("PING\nQUIT\nPUT after 1\n"));
  EXPECT_EQ(Next(), "OK");
  EXPECT_EQ(Next(), "OK");
  EXPECT_TRUE(client_.WaitForClose(std::chrono::seconds(3))) << client_.error();
  TestClient check;
  ASSERT_NO_FATAL_FAILURE(Connect(&check));
  EXPECT_EQ(Call(&check, GetRequest("after")), Response::NotFound());
}

TEST_F(TextModeTest, QuitIsCaseInsensitive) {
  EXPECT_EQ(Line("quit"), "OK");
  EXPECT_TRUE(client_.WaitForClose(std::chrono::seconds(3))) << client_.error();
}

// Each cross-protocol case on its own connection: what is sent, and the
// answers expected before the server closes.
struct CrossProtocolCase {
  std::string what;
  std::string bytes;
  std::vector<std::string> answers_before_close;
};

TEST_F(TextModeTest, CrossProtocolLinesCloseTheConnectionAtOnce) {
  const std::vector<CrossProtocolCase> cases = {
      {"GET request line", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", {}},
      {"HTTP/1.0 request line", "GET /index.html HTTP/1.0\r\n\r\n", {}},
      {"POST", "POST /api HTTP/1.1\r\nHost: x\r\n\r\nPUT k v\n", {}},
      {"POST without version", "POST /\n", {}},
      {"PUT that ends in HTTP/1.1", "PUT browser value HTTP/1.1\r\n", {}},
      {"trailing spaces after HTTP/1.1", "GET / HTTP/1.1  \r\n", {}},
      {"Host: after a command", "PING\nHost: evil.example\nPUT host x\n", {"OK"}},
      {"POST after a command", "PING\nPOST /x HTTP/1.1\nPUT post x\n", {"OK"}},
  };
  for (const CrossProtocolCase& c : cases) {
    SCOPED_TRACE(c.what);
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    ASSERT_TRUE(client.SendRaw(c.bytes)) << client.error();
    for (const std::string& answer : c.answers_before_close) {
      EXPECT_EQ(client.ReadLine(), answer) << client.error();
    }
    EXPECT_TRUE(client.WaitForClose(std::chrono::seconds(3))) << client.error();
  }
  TestClient check;
  ASSERT_NO_FATAL_FAILURE(Connect(&check));
  for (const char* key : {"k", "browser", "host", "post"}) {
    EXPECT_EQ(Call(&check, GetRequest(key)), Response::NotFound()) << key << " was written";
  }
}

TEST(TextModeLimitsTest, KeyOverTheLimitIsTooLargeAndKeepsTheConnection) {
  TempDir dir;
  CairndProcess server(dir.path(), {"--max-key-bytes", "8", "--max-value-bytes", "16"});
  ASSERT_TRUE(server.Start());
  TestClient client;
  ASSERT_TRUE(client.Connect(server.port())) << client.error();
  ASSERT_TRUE(
      client.SendRaw("PUT 123456789 v\nPUT k 12345678901234567\nPUT 12345678 1234567890123456\n"));
  std::optional<std::string> first = client.ReadLine();
  std::optional<std::string> second = client.ReadLine();
  ASSERT_TRUE(first && second) << client.error();
  EXPECT_EQ(first->substr(0, 10), "TOO_LARGE ") << *first;
  EXPECT_EQ(second->substr(0, 10), "TOO_LARGE ") << *second;
  EXPECT_EQ(client.ReadLine(), "OK 1");
}

TEST(TextModeLimitsTest, LineLongerThanTheFrameLimitIsTooLargeAndCloses) {
  TempDir dir;
  CairndProcess server(dir.path(), {"--max-frame-bytes", "1024", "--max-key-bytes", "64",
                                    "--max-value-bytes", "512"});
  ASSERT_TRUE(server.Start());
  TestClient client;
  ASSERT_TRUE(client.Connect(server.port())) << client.error();
  ASSERT_TRUE(client.SendRaw("PUT k " + std::string(2000, 'x') + "\nPING\n"));
  std::optional<std::string> answer = client.ReadLine();
  ASSERT_TRUE(answer) << client.error();
  EXPECT_EQ(answer->substr(0, 10), "TOO_LARGE ") << *answer;
  EXPECT_TRUE(client.WaitForClose(std::chrono::seconds(3))) << client.error();
}

TEST(TextModeLimitsTest, UnterminatedLineLongerThanTheFrameLimitIsTooLargeAndCloses) {
  // The server must not wait for the end of a line already over the limit.
  TempDir dir;
  CairndProcess server(dir.path(), {"--max-frame-bytes", "1024", "--max-key-bytes", "64",
                                    "--max-value-bytes", "512"});
  ASSERT_TRUE(server.Start());
  TestClient client;
  ASSERT_TRUE(client.Connect(server.port())) << client.error();
  client.set_timeout(std::chrono::seconds(3));
  ASSERT_TRUE(client.SendRaw("PUT k " + std::string(4000, 'x')));
  std::optional<std::string> answer = client.ReadLine();
  ASSERT_TRUE(answer) << client.error();
  EXPECT_EQ(answer->substr(0, 10), "TOO_LARGE ") << *answer;
  EXPECT_TRUE(client.WaitForClose(std::chrono::seconds(3))) << client.error();
}

}  // namespace
}  // namespace cairn::server_test
