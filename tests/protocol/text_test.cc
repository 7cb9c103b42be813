#include "protocol/text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::protocol {
namespace {

using namespace std::literals;

std::vector<std::string> Tokens(std::string_view line) {
  Result<std::vector<std::string>> tokens = TokenizeTextLine(line);
  EXPECT_TRUE(tokens.ok()) << line << ": " << tokens.error().message;
  return tokens.ok() ? tokens.value() : std::vector<std::string>{};
}

void ExpectTokenError(std::string_view line, std::string_view message) {
  Result<std::vector<std::string>> tokens = TokenizeTextLine(line);
  ASSERT_FALSE(tokens.ok()) << line;
  EXPECT_EQ(tokens.error().status, StatusCode::kBadRequest);
  EXPECT_EQ(tokens.error().message, message) << line;
}

Request Parse(std::string_view line, const Limits& limits = Limits()) {
  Result<Request> request = ParseTextRequest(line, limits);
  EXPECT_TRUE(request.ok()) << line << ": " << request.error().message;
  return request.ok() ? request.value() : Request{};
}

void ExpectParseError(std::string_view line, StatusCode status, std::string_view message,
                      const Limits& limits = Limits()) {
  Result<Request> request = ParseTextRequest(line, limits);
  ASSERT_FALSE(request.ok()) << line;
  EXPECT_EQ(request.error().status, status) << line;
  EXPECT_EQ(request.error().message, message) << line;
}

TEST(TextTest, LettersStartTextWhitespaceIsSkippedTheRestIsBinary) {
  for (int b = 0; b < 256; ++b) {
    const bool letter = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
    const bool space = b == ' ' || b == '\t' || b == '\r' || b == '\n';
    const ModeByte expected = letter  ? ModeByte::kText
                              : space ? ModeByte::kSkip
                                      : ModeByte::kBinary;
    EXPECT_EQ(ClassifyModeByte(static_cast<char>(b)), expected) << b;
  }
}

TEST(TextTest, CrossProtocolLines) {
  for (std::string_view line :
       {"POST / HTTP/1.1"sv, "POST /x"sv, "post /x"sv, "Host: localhost:7070"sv, "host:x"sv,
        "GET / HTTP/1.1"sv, "GET /index.html HTTP/1.0"sv, "PUT /k HTTP/1.1  "sv,
        "OPTIONS * http/1.1"sv}) {
    EXPECT_TRUE(IsCrossProtocolLine(line)) << line;
  }
  for (std::string_view line :
       {"GET key"sv, "POST"sv, "POSTER x"sv, "Hostname: x"sv, "PUT HTTP/1.1 value"sv,
        "GET HTTP/1.2"sv, "GET xHTTP/1.1"sv, ""sv, "PUT k \"HTTP/1.1\""sv}) {
    EXPECT_FALSE(IsCrossProtocolLine(line)) << line;
  }
}

TEST(TextTest, BlankLines) {
  EXPECT_TRUE(IsBlankLine(""));
  EXPECT_TRUE(IsBlankLine(" \t "));
  EXPECT_FALSE(IsBlankLine(" x "));
  EXPECT_FALSE(IsBlankLine("\"\""));
  ExpectParseError("  ", StatusCode::kBadRequest, "empty command");
}

TEST(TextTest, TokensAreSeparatedBySpacesAndTabs) {
  EXPECT_EQ(Tokens("  PUT\tkey \t value  "), (std::vector<std::string>{"PUT", "key", "value"}));
  EXPECT_EQ(Tokens(""), std::vector<std::string>{});
  EXPECT_EQ(Tokens("a\"b c\\d"), (std::vector<std::string>{"a\"b", "c\\d"}));
}

TEST(TextTest, QuotedTokensUnderstandTheEscapes) {
  EXPECT_EQ(Tokens(R"(SET "a key" "\\ \" \n \r \t \0 \x41\xfF")"),
            (std::vector<std::string>{"SET", "a key", "\\ \" \n \r \t \0 A\xFF"s}));
  EXPECT_EQ(Tokens(R"("" "")"), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(Tokens("\"tab\there\""), std::vector<std::string>{"tab\there"});
}

TEST(TextTest, TokenizerErrors) {
  ExpectTokenError(R"(GET "abc)", "unterminated quote opened at byte 4");
  ExpectTokenError(R"(GET "abc\)", "unterminated quote opened at byte 4");
  ExpectTokenError(R"(GET "a\q")",
                   "bad escape (a quoted token understands \\\\ \\\" \\n \\r \\t \\0 \\xHH) at "
                   "byte 6");
  ExpectTokenError(R"(GET "\x4")", "\\x needs two hex digits at byte 5");
  ExpectTokenError(R"(GET "\x)", "\\x needs two hex digits at byte 5");
  ExpectTokenError(R"(GET "\xg0")", "\\x needs two hex digits at byte 5");
  ExpectTokenError(R"(GET "a"b)",
                   "a closing quote must be followed by a space, a tab or the line end at byte 7");
}

TEST(TextTest, QuoteTextIsExact) {
  EXPECT_EQ(QuoteText(""), R"("")");
  EXPECT_EQ(QuoteText("hello world ~!"), R"("hello world ~!")");
  EXPECT_EQ(QuoteText("a\"b\\c\n\r\t\0\x7f\x80\xff\x1b"s),
            R"("a\"b\\c\n\r\t\x00\x7f\x80\xff\x1b")");
}

TEST(TextTest, QuotingRoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) {
    const std::string byte(1, static_cast<char>(b));
    all += byte;
    EXPECT_EQ(Tokens(QuoteText(byte)), std::vector<std::string>{byte}) << b;
    // Quoted output is one line of printable ASCII.
    for (char c : QuoteText(byte)) EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << b;
  }
  EXPECT_EQ(Tokens("PUT " + QuoteText(all) + "\t" + QuoteText(all)),
            (std::vector<std::string>{"PUT", all, all}));
}

TEST(TextTest, ParsesEveryCommand) {
  Request ping = Parse("PING");
  EXPECT_EQ(ping.opcode, Opcode::kPing);
  EXPECT_FALSE(ping.ping_payload.has_value());
  EXPECT_EQ(Parse("ping \"hi there\"").ping_payload, "hi there");

  Request get = Parse("GET \"k\\x00\"");
  EXPECT_EQ(get.opcode, Opcode::kGet);
  EXPECT_EQ(get.key, "k\0"s);
  EXPECT_EQ(get.request_id, 0u);

  for (std::string_view line : {"PUT k v"sv, "set k v"sv, "Set k v"sv}) {
    Request put = Parse(line);
    EXPECT_EQ(put.opcode, Opcode::kPut) << line;
    EXPECT_EQ(put.key, "k");
    EXPECT_EQ(put.value, "v");
  }

  for (std::string_view line : {"DEL k"sv, "delete k"sv}) {
    Request del = Parse(line);
    EXPECT_EQ(del.opcode, Opcode::kDelete);
    EXPECT_EQ(del.key, "k");
    EXPECT_FALSE(del.has_expected_version);
  }
  Request conditional = Parse("DEL k 18446744073709551615");
  EXPECT_TRUE(conditional.has_expected_version);
  EXPECT_EQ(conditional.expected_version, 18446744073709551615u);

  Request cas = Parse("CAS k 0 \"new value\"");
  EXPECT_EQ(cas.opcode, Opcode::kCas);
  EXPECT_TRUE(cas.has_expected_version);
  EXPECT_EQ(cas.expected_version, 0u);
  EXPECT_EQ(cas.value, "new value");

  Request incr = Parse("INCR n");
  EXPECT_EQ(incr.opcode, Opcode::kIncr);
  EXPECT_EQ(incr.delta, 1);
  EXPECT_EQ(Parse("incr n -9223372036854775808").delta, INT64_MIN);

  Request scan = Parse("SCAN \"\" \"\"");
  EXPECT_EQ(scan.opcode, Opcode::kScan);
  EXPECT_EQ(scan.start, "");
  EXPECT_EQ(scan.end, "");
  EXPECT_EQ(scan.limit, 0u);
  EXPECT_EQ(Parse("SCAN a z 4294967295").limit, 4294967295u);

  EXPECT_EQ(Parse("STATS").opcode, Opcode::kStats);
  EXPECT_EQ(Parse("snapshot").opcode, Opcode::kSnapshot);
  Request auth = Parse("AUTH \"s3 cret\"");
  EXPECT_EQ(auth.opcode, Opcode::kAuth);
  EXPECT_EQ(auth.token, "s3 cret");

  Request quit = Parse("quit");
  EXPECT_TRUE(quit.quit);
  EXPECT_FALSE(Parse("PING").quit);
}

TEST(TextTest, TextAndBinaryParseToTheSameRequest) {
  Request text = Parse("cas \"k\\n\" 5 v");
  Request binary;
  binary.opcode = Opcode::kCas;
  binary.key = "k\n";
  binary.has_expected_version = true;
  binary.expected_version = 5;
  binary.value = "v";
  EXPECT_EQ(text, binary);
}

TEST(TextTest, WrongArgumentCounts) {
  ExpectParseError("GET", StatusCode::kBadRequest,
                   "wrong number of arguments to GET (0); usage: GET key");
  ExpectParseError("get a b", StatusCode::kBadRequest,
                   "wrong number of arguments to GET (2); usage: GET key");
  ExpectParseError("PING a b", StatusCode::kBadRequest,
                   "wrong number of arguments to PING (2); usage: PING [msg]");
  ExpectParseError("SET k", StatusCode::kBadRequest,
                   "wrong number of arguments to SET (1); usage: SET key value");
  ExpectParseError("DEL k 1 2", StatusCode::kBadRequest,
                   "wrong number of arguments to DEL (3); usage: DEL key [expected_version]");
  ExpectParseError("CAS k 1", StatusCode::kBadRequest,
                   "wrong number of arguments to CAS (2); usage: CAS key expected_version value");
  ExpectParseError("INCR", StatusCode::kBadRequest,
                   "wrong number of arguments to INCR (0); usage: INCR key [delta]");
  ExpectParseError("SCAN a", StatusCode::kBadRequest,
                   "wrong number of arguments to SCAN (1); usage: SCAN start end [limit]");
  ExpectParseError("STATS now", StatusCode::kBadRequest,
                   "wrong number of arguments to STATS (1); usage: STATS");
  ExpectParseError("AUTH", StatusCode::kBadRequest,
                   "wrong number of arguments to AUTH (0); usage: AUTH token");
  ExpectParseError("QUIT now", StatusCode::kBadRequest,
                   "wrong number of arguments to QUIT (1); usage: QUIT");
}

TEST(TextTest, BadNumbers) {
  const std::string u64_range = "a decimal integer from 0 to 18446744073709551615";
  for (std::string_view bad : {"x", "-1", "+1", "1.0", "18446744073709551616", "0x10", "\"\""}) {
    ExpectParseError(
        "DEL k " + std::string(bad), StatusCode::kBadRequest,
        "expected_version must be " + u64_range + ", got " + QuoteText(Tokens(bad)[0]));
  }
  ExpectParseError("CAS k v 1", StatusCode::kBadRequest,
                   "expected_version must be " + u64_range + ", got \"v\"");
  ExpectParseError("INCR k 9223372036854775808", StatusCode::kBadRequest,
                   "delta must be a decimal integer from -9223372036854775808 to "
                   "9223372036854775807, got \"9223372036854775808\"");
  ExpectParseError("INCR k --1", StatusCode::kBadRequest,
                   "delta must be a decimal integer from -9223372036854775808 to "
                   "9223372036854775807, got \"--1\"");
  ExpectParseError("SCAN a b 4294967296", StatusCode::kBadRequest,
                   "limit must be a decimal integer from 0 to 4294967295, got \"4294967296\"");
}

TEST(TextTest, UnknownCommands) {
  const std::string commands =
      "; commands are PING GET PUT SET DEL DELETE CAS INCR SCAN STATS AUTH SNAPSHOT QUIT";
  ExpectParseError("FLUSHALL", StatusCode::kUnknownOpcode,
                   "unknown command \"FLUSHALL\"" + commands);
  ExpectParseError("BATCH a b", StatusCode::kUnknownOpcode, "unknown command \"BATCH\"" + commands);
  ExpectParseError("\"\\x00\"", StatusCode::kUnknownOpcode, "unknown command \"\\x00\"" + commands);
}

// The arguments past a command's maximum are counted, not kept (a line of
// millions of tokens would otherwise cost ~50 bytes of memory per byte).
TEST(TextTest, ArgumentsPastTheMaximumAreCountedNotKept) {
  std::string line = "GET";
  for (int i = 0; i < 1000000; ++i) line += " a";
  ExpectParseError(line, StatusCode::kBadRequest,
                   "wrong number of arguments to GET (1000000); usage: GET key");
  ExpectParseError("PUT k v \"unterminated", StatusCode::kBadRequest,
                   "unterminated quote opened at byte 8");
}

// Answers quote at most 64 bytes of what the client sent.
TEST(TextTest, MessagesEchoAtMost64BytesOfTheLine) {
  const std::string name(65, 'X');
  Result<Request> unknown = ParseTextRequest(name, Limits());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message.rfind("unknown command \"" + name.substr(0, 64) + "\"...; ", 0),
            0u)
      << unknown.error().message;
  const std::string digits(1000, '9');
  ExpectParseError("INCR k " + digits, StatusCode::kBadRequest,
                   "delta must be a decimal integer from -9223372036854775808 to "
                   "9223372036854775807, got \"" +
                       digits.substr(0, 64) + "\"...");
}

TEST(TextTest, TextCommandNameReadsTheFirstTokenOnly) {
  EXPECT_EQ(TextCommandName("auth secret"), "AUTH");
  EXPECT_EQ(TextCommandName("\"\\x41UTH\" secret"), "AUTH");
  EXPECT_EQ(TextCommandName("  Ping \"unterminated"), "PING");
  EXPECT_EQ(TextCommandName("quit"), "QUIT");
  EXPECT_EQ(TextCommandName("FLUSHALL"), "");
  EXPECT_EQ(TextCommandName("\"unterminated"), "");
  EXPECT_EQ(TextCommandName(""), "");
}

TEST(TextTest, TokenizerErrorsAreBadRequests) {
  ExpectParseError("PUT \"k v", StatusCode::kBadRequest, "unterminated quote opened at byte 4");
}

TEST(TextTest, LimitsApply) {
  Limits limits;
  limits.max_key_bytes = 3;
  limits.max_value_bytes = 4;
  EXPECT_EQ(Parse("PUT abc abcd", limits).key, "abc");
  ExpectParseError("GET abcd", StatusCode::kTooLarge, "key is 4 bytes, over max_key_bytes 3",
                   limits);
  ExpectParseError("PUT k abcde", StatusCode::kTooLarge, "value is 5 bytes, over max_value_bytes 4",
                   limits);
  ExpectParseError("CAS k 1 abcde", StatusCode::kTooLarge,
                   "value is 5 bytes, over max_value_bytes 4", limits);
}

Request TextRequest(std::string_view line) { return Parse(line); }

TEST(TextTest, FormatsEveryResponseShape) {
  EXPECT_EQ(FormatTextResponse(TextRequest("PING"), Response::Ok()), "OK\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("PING \"a b\""), Response::Ok({"a b"})), "OK \"a b\"\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("AUTH t"), Response::Ok()), "OK\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("QUIT"), Response::Ok()), "OK\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("PUT k v"), Response::OkVersion(17)), "OK 17\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("DEL k"), Response::OkVersion(18)), "OK 18\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("CAS k 0 v"), Response::OkVersion(19)), "OK 19\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("SNAPSHOT"), Response::OkVersion(20)), "OK 20\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("GET k"), Response::OkValue("v\n\0\"x"s, 21)),
            "OK 21 \"v\\n\\x00\\\"x\"\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("INCR k"), Response::OkValue("-5", 22)), "OK 22 -5\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("STATS"), Response::Ok({R"({"keys":3,"shards":4})"})),
            "OK {\"keys\":3,\"shards\":4}\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("SCAN a z"),
                               Response::OkScan({{"a", "1"}, {"b\t", ""}}, true)),
            "OK 2 1\n\"a\" \"1\"\n\"b\\t\" \"\"\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("SCAN a z"), Response::OkScan({}, false)), "OK 0 0\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("GET k"), Response::NotFound()), "NOT_FOUND\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("CAS k 3 v"), Response::VersionMismatch(4)),
            "VERSION_MISMATCH 4\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("INCR k"), Response::Failure(StatusCode::kTypeError,
                                                                        "value is not an integer")),
            "TYPE_ERROR value is not an integer\n");
}

TEST(TextTest, FormatsEveryErrorStatusByName) {
  for (StatusCode status :
       {StatusCode::kBadRequest, StatusCode::kUnknownOpcode, StatusCode::kTooLarge,
        StatusCode::kTypeError, StatusCode::kUnauthorized, StatusCode::kIoError,
        StatusCode::kReadOnly, StatusCode::kBusy, StatusCode::kShuttingDown}) {
    EXPECT_EQ(FormatTextResponse(Request{}, Response::Failure(status, "why")),
              std::string(StatusName(status)) + " why\n");
  }
}

TEST(TextTest, AParseErrorFormatsAsItsStatusLine) {
  Result<Request> request = ParseTextRequest("NOPE", Limits());
  ASSERT_FALSE(request.ok());
  const std::string line = FormatTextResponse(
      Request{}, Response::Failure(request.error().status, request.error().message));
  EXPECT_EQ(line.substr(0, 31), "UNKNOWN_OPCODE unknown command ");
}

TEST(TextTest, MessagesAndStatsStayOnOneLine) {
  EXPECT_EQ(FormatTextResponse(Request{}, Response::Failure(StatusCode::kIoError, "a\r\nb\nc")),
            "IO_ERROR a  b c\n");
  EXPECT_EQ(FormatTextResponse(Request{}, Response::Failure(StatusCode::kBusy, "")), "BUSY\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("STATS"), Response::Ok({"{\n  \"keys\": 1\n}"})),
            "OK {   \"keys\": 1 }\n");
}

TEST(TextTest, OkResponsesThatDoNotFitTheRequestSaySo) {
  EXPECT_EQ(FormatTextResponse(TextRequest("GET k"), Response::OkVersion(1)),
            "BAD_REQUEST malformed response: expected [value, version], got 1 field(s)\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("PUT k v"), Response::Ok()),
            "BAD_REQUEST malformed response: expected [version], got 0 field(s)\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("SCAN a b"), Response::Ok({"k"})),
            "BAD_REQUEST malformed response: the more field must be one byte, 0 or 1\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("STATS"), Response::Ok()),
            "BAD_REQUEST malformed response: STATS expects [JSON document]\n");
  EXPECT_EQ(FormatTextResponse(TextRequest("GET k"), Response{StatusCode::kVersionMismatch, 0, {}}),
            "BAD_REQUEST malformed response: expected [version], got 0 field(s)\n");
}

}  // namespace
}  // namespace cairn::protocol
