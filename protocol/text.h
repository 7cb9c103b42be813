// Text mode (docs/protocol.md section 6), for netcat and telnet: one request per
// line (LineSplitter finds the lines), answered by one line, or for SCAN by
// a header line and one line per entry; every answer line ends in "\n".
// Requests parse into the same Request as binary frames and go through the
// same limits; errors carry the status the answer line starts with.
//
// Per line, a server does: IsCrossProtocolLine -> close at once;
// IsBlankLine -> ignore, no answer; else ParseTextRequest and answer with
// FormatTextResponse (for a parse error, format Response::Failure).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/request.h"
#include "protocol/response.h"
#include "protocol/result.h"

namespace cairn::protocol {

// What a byte that arrives before a connection's mode is chosen means: an
// ASCII letter starts text mode, whitespace (space, \t, \r, \n) is skipped
// and chooses nothing (a stray newline before the first command), anything
// else starts binary mode (a binary client's first byte is 0xCA).
enum class ModeByte { kSkip, kText, kBinary };
ModeByte ClassifyModeByte(char byte);

// True for a line that must close the connection at once, unanswered, so a
// browser cannot drive the server: it starts with "POST " or "Host:", or ends
// in " HTTP/1.0" or " HTTP/1.1" (ignoring trailing spaces and tabs). Matching
// is ASCII case-insensitive.
bool IsCrossProtocolLine(std::string_view line);

// True for a line of only spaces and tabs (or nothing): no request, no
// answer.
bool IsBlankLine(std::string_view line);

// Reads a line's tokens one at a time (the rules of TokenizeTextLine), so a
// caller can stop or count without keeping them.
class TextTokenizer {
 public:
  // line must outlive the tokenizer.
  explicit TextTokenizer(std::string_view line);
  // Sets *token to the next token and returns true; false at the end of the
  // line; BAD_REQUEST for a tokenizing error.
  Result<bool> Next(std::string* token);

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

// Splits a line into tokens separated by spaces and tabs. A token that
// starts with '"' runs to the matching '"', must be followed by a separator
// or the end of the line, and understands the escapes \\ \" \n \r \t \0 and
// \xHH (two hex digits, either case). Elsewhere '"' and '\' are ordinary
// bytes. An unterminated quote or a bad escape is BAD_REQUEST.
Result<std::vector<std::string>> TokenizeTextLine(std::string_view line);

// bytes double-quoted: printable ASCII (0x20-0x7e) other than '"' and '\' as
// is; '\n' '\r' '\t' '\\' '"' as \n \r \t \\ \"; every other byte as \xHH
// with lowercase hex digits. TokenizeTextLine(QuoteText(b)) == {b}.
std::string QuoteText(std::string_view bytes);

// The command a line names, as the command table spells it ("AUTH" for
// "auth" or "\x41UTH" quoted); empty when the first token is no command or
// does not tokenize. Reads the first token only.
std::string_view TextCommandName(std::string_view line);

// Parses one line (without its line ending). The command is looked up
// before the arguments are read, and arguments past its maximum are only
// counted, so memory stays within a few times the line's length whatever it
// holds. Command names are ASCII case-insensitive; numbers are plain decimal.
// Messages quote at most 64 bytes of what the line holds. BAD_REQUEST for a blank line,
// a tokenizing error, a wrong argument count or a bad number; UNKNOWN_OPCODE
// for an unknown command; TOO_LARGE for a key or value over the limits.
// request_id is 0.
Result<Request> ParseTextRequest(std::string_view line, const Limits& limits);

// The answer to request, "\n"-terminated, as section 5 shows it. request is
// consulted only when response is OK. Messages and the STATS document are
// printed on one line: a '\r' or '\n' in them prints as a space. If the
// fields of an OK response do not fit the request, the answer is a
// BAD_REQUEST line saying so.
std::string FormatTextResponse(const Request& request, const Response& response);

}  // namespace cairn::protocol
