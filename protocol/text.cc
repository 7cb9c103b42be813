// Text mode on the wire:
//
//   request line := token (separator token)* ["\r"] "\n"
//   separator    := one or more spaces or tabs (leading and trailing allowed)
//   token        := bare | quoted
//   bare         := bytes other than space, tab ("\n" ends the line)
//   quoted       := '"' (byte other than '"' or '\' | escape)* '"'
//   escape       := \\ | \" | \n | \r | \t | \0 | \xHH
//
//   command (case-insensitive)      answer line(s)
//   PING [msg]                      OK | OK "<msg>"
//   GET key                         OK <version> "<value>"
//   PUT|SET key value               OK <version>
//   DEL|DELETE key [expected]       OK <version>
//   CAS key expected value          OK <version>
//   INCR key [delta, default 1]     OK <version> <n>
//   SCAN start end [limit]          OK <n> <more>, then n lines "<key>" "<value>"
//   STATS                           OK <json>
//   AUTH token                      OK
//   SNAPSHOT                        OK <version>
//   QUIT                            OK, then the server closes
//   any, when not OK                NOT_FOUND | VERSION_MISMATCH <current>
//                                   | <STATUS> <message>
//
// Every answer line ends in "\n".
#include "protocol/text.h"

#include <charconv>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string>

namespace cairn::protocol {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
// An error message quotes at most this much of what the client sent, so
// that the answer to a long line stays short.
constexpr size_t kEchoedBytes = 64;

struct TextCommand {
  std::string_view name;
  std::optional<Opcode> opcode;  // none for QUIT
  size_t min_args;
  size_t max_args;
  std::string_view usage;
};

constexpr TextCommand kTextCommands[] = {
    {"PING", Opcode::kPing, 0, 1, "PING [msg]"},
    {"GET", Opcode::kGet, 1, 1, "GET key"},
    {"PUT", Opcode::kPut, 2, 2, "PUT key value"},
    {"SET", Opcode::kPut, 2, 2, "SET key value"},
    {"DEL", Opcode::kDelete, 1, 2, "DEL key [expected_version]"},
    {"DELETE", Opcode::kDelete, 1, 2, "DELETE key [expected_version]"},
    {"CAS", Opcode::kCas, 3, 3, "CAS key expected_version value"},
    {"INCR", Opcode::kIncr, 1, 2, "INCR key [delta]"},
    {"SCAN", Opcode::kScan, 2, 3, "SCAN start end [limit]"},
    {"STATS", Opcode::kStats, 0, 0, "STATS"},
    {"AUTH", Opcode::kAuth, 1, 1, "AUTH token"},
    {"SNAPSHOT", Opcode::kSnapshot, 0, 0, "SNAPSHOT"},
    {"QUIT", std::nullopt, 0, 0, "QUIT"},
};

bool IsSeparator(char c) { return c == ' ' || c == '\t'; }

char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiUpper(a[i]) != AsciiUpper(b[i])) return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

bool EndsWithIgnoreCase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         EqualsIgnoreCase(text.substr(text.size() - suffix.size()), suffix);
}

std::optional<int> HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// QuoteText of bytes, cut to kEchoedBytes and marked "..." when cut.
std::string QuoteEchoed(std::string_view bytes) {
  return QuoteText(bytes.substr(0, kEchoedBytes)) + (bytes.size() > kEchoedBytes ? "..." : "");
}

Error TokenError(std::string what, size_t offset) {
  return Error{StatusCode::kBadRequest, what + " at byte " + std::to_string(offset)};
}

// Reads the quoted token starting at line[*pos] == '"' and moves *pos past
// its closing quote.
Result<std::string> ReadQuoted(std::string_view line, size_t* pos) {
  const size_t open = *pos;
  std::string token;
  size_t i = open + 1;
  while (true) {
    if (i >= line.size()) return TokenError("unterminated quote opened", open);
    char c = line[i++];
    if (c == '"') break;
    if (c != '\\') {
      token.push_back(c);
      continue;
    }
    const size_t escape = i - 1;
    if (i >= line.size()) return TokenError("unterminated quote opened", open);
    switch (line[i++]) {
      case '\\':
        token.push_back('\\');
        break;
      case '"':
        token.push_back('"');
        break;
      case 'n':
        token.push_back('\n');
        break;
      case 'r':
        token.push_back('\r');
        break;
      case 't':
        token.push_back('\t');
        break;
      case '0':
        token.push_back('\0');
        break;
      case 'x': {
        std::optional<int> high = i < line.size() ? HexValue(line[i]) : std::nullopt;
        std::optional<int> low = i + 1 < line.size() ? HexValue(line[i + 1]) : std::nullopt;
        if (!high || !low) return TokenError("\\x needs two hex digits", escape);
        token.push_back(static_cast<char>(*high * 16 + *low));
        i += 2;
        break;
      }
      default:
        return TokenError("bad escape (a quoted token understands \\\\ \\\" \\n \\r \\t \\0 \\xHH)",
                          escape);
    }
  }
  if (i < line.size() && !IsSeparator(line[i])) {
    return TokenError("a closing quote must be followed by a space, a tab or the line end", i);
  }
  *pos = i;
  return token;
}

// Parses a whole token as a plain decimal T (a leading '-' only if T is
// signed).
template <typename T>
std::optional<Error> ParseDecimal(std::string_view name, const std::string& token, T* out) {
  auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), *out);
  if (error == std::errc() && end == token.data() + token.size()) return std::nullopt;
  return Error{StatusCode::kBadRequest, std::string(name) + " must be a decimal integer from " +
                                            std::to_string(std::numeric_limits<T>::min()) + " to " +
                                            std::to_string(std::numeric_limits<T>::max()) +
                                            ", got " + QuoteEchoed(token)};
}

const TextCommand* FindCommand(std::string_view name) {
  for (const TextCommand& command : kTextCommands) {
    if (EqualsIgnoreCase(name, command.name)) return &command;
  }
  return nullptr;
}

Error UnknownCommand(std::string_view name) {
  std::string message = "unknown command " + QuoteEchoed(name) + "; commands are";
  for (const TextCommand& command : kTextCommands) {
    message += ' ';
    message += command.name;
  }
  return Error{StatusCode::kUnknownOpcode, message};
}

// REQUIRES: args.size() is within command's min_args and max_args.
Result<Request> BuildRequest(const TextCommand& command, std::span<const std::string> args) {
  Request request;
  if (!command.opcode) {
    request.quit = true;
    return request;
  }
  request.opcode = *command.opcode;
  std::optional<Error> error;
  switch (request.opcode) {
    case Opcode::kPing:
      if (!args.empty()) request.ping_payload = args[0];
      break;
    case Opcode::kGet:
      request.key = args[0];
      break;
    case Opcode::kPut:
      request.key = args[0];
      request.value = args[1];
      break;
    case Opcode::kDelete:
      request.key = args[0];
      if (args.size() == 2) {
        request.has_expected_version = true;
        error = ParseDecimal("expected_version", args[1], &request.expected_version);
      }
      break;
    case Opcode::kCas:
      request.key = args[0];
      request.has_expected_version = true;
      error = ParseDecimal("expected_version", args[1], &request.expected_version);
      request.value = args[2];
      break;
    case Opcode::kIncr:
      request.key = args[0];
      request.delta = 1;
      if (args.size() == 2) error = ParseDecimal("delta", args[1], &request.delta);
      break;
    case Opcode::kScan:
      request.start = args[0];
      request.end = args[1];
      if (args.size() == 3) error = ParseDecimal("limit", args[2], &request.limit);
      break;
    case Opcode::kAuth:
      request.token = args[0];
      break;
    case Opcode::kStats:
    case Opcode::kSnapshot:
    case Opcode::kBatch:  // binary only; no text command maps to it
      break;
  }
  if (error) return *error;
  return request;
}

// Keeps a message or JSON document on its line.
std::string OneLine(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return line;
}

std::string Separated(std::string_view text) { return text.empty() ? "" : " " + OneLine(text); }

// What follows the status name of an OK answer to request.
Result<std::string> OkText(const Request& request, const Response& response) {
  if (request.quit) return std::string();
  switch (request.opcode) {
    case Opcode::kPing: {
      std::string text;
      for (const std::string& field : response.fields) text += " " + QuoteText(field);
      return text;
    }
    case Opcode::kGet:
    case Opcode::kIncr: {
      Result<VersionedValue> value = ResponseValue(response);
      if (!value.ok()) return value.error();
      std::string shown = request.opcode == Opcode::kGet ? QuoteText(value.value().value)
                                                         : OneLine(value.value().value);
      return " " + std::to_string(value.value().version) + " " + shown;
    }
    case Opcode::kPut:
    case Opcode::kDelete:
    case Opcode::kCas:
    case Opcode::kBatch:
    case Opcode::kSnapshot: {
      Result<uint64_t> version = ResponseVersion(response);
      if (!version.ok()) return version.error();
      return " " + std::to_string(version.value());
    }
    case Opcode::kScan: {
      Result<ScanPage> page = ResponseScan(response);
      if (!page.ok()) return page.error();
      std::string text =
          " " + std::to_string(page.value().entries.size()) + (page.value().more ? " 1" : " 0");
      for (const auto& [key, value] : page.value().entries) {
        text += "\n" + QuoteText(key) + " " + QuoteText(value);
      }
      return text;
    }
    case Opcode::kStats:
      if (response.fields.size() != 1) {
        return Error{StatusCode::kBadRequest, "malformed response: STATS expects [JSON document]"};
      }
      return " " + OneLine(response.fields[0]);
    case Opcode::kAuth:
      break;
  }
  return std::string();
}

// What follows the status name of any answer.
Result<std::string> TextAfterStatus(const Request& request, const Response& response) {
  switch (response.status) {
    case StatusCode::kOk:
      return OkText(request, response);
    case StatusCode::kNotFound:
      return std::string();
    case StatusCode::kVersionMismatch: {
      Result<uint64_t> current = ResponseVersion(response);
      if (!current.ok()) return current.error();
      return " " + std::to_string(current.value());
    }
    default:
      return Separated(response.fields.empty() ? std::string_view() : response.fields[0]);
  }
}

}  // namespace

ModeByte ClassifyModeByte(char byte) {
  if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z')) return ModeByte::kText;
  if (byte == ' ' || byte == '\t' || byte == '\r' || byte == '\n') return ModeByte::kSkip;
  return ModeByte::kBinary;
}

bool IsCrossProtocolLine(std::string_view line) {
  if (StartsWithIgnoreCase(line, "POST ") || StartsWithIgnoreCase(line, "Host:")) return true;
  while (!line.empty() && IsSeparator(line.back())) line.remove_suffix(1);
  return EndsWithIgnoreCase(line, " HTTP/1.0") || EndsWithIgnoreCase(line, " HTTP/1.1");
}

bool IsBlankLine(std::string_view line) {
  for (char c : line) {
    if (!IsSeparator(c)) return false;
  }
  return true;
}

TextTokenizer::TextTokenizer(std::string_view line) : line_(line) {}

Result<bool> TextTokenizer::Next(std::string* token) {
  while (pos_ < line_.size() && IsSeparator(line_[pos_])) ++pos_;
  if (pos_ == line_.size()) return false;
  if (line_[pos_] == '"') {
    Result<std::string> quoted = ReadQuoted(line_, &pos_);
    if (!quoted.ok()) return quoted.error();
    *token = std::move(quoted).value();
  } else {
    const size_t start = pos_;
    while (pos_ < line_.size() && !IsSeparator(line_[pos_])) ++pos_;
    token->assign(line_.substr(start, pos_ - start));
  }
  return true;
}

Result<std::vector<std::string>> TokenizeTextLine(std::string_view line) {
  TextTokenizer tokenizer(line);
  std::vector<std::string> tokens;
  std::string token;
  while (true) {
    Result<bool> more = tokenizer.Next(&token);
    if (!more.ok()) return more.error();
    if (!more.value()) return tokens;
    tokens.push_back(std::move(token));
  }
}

std::string QuoteText(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (byte >= 0x20 && byte <= 0x7e) {
          out.push_back(c);
        } else {
          out += "\\x";
          out.push_back(kHexDigits[byte >> 4]);
          out.push_back(kHexDigits[byte & 0xf]);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string_view TextCommandName(std::string_view line) {
  TextTokenizer tokenizer(line);
  std::string name;
  Result<bool> more = tokenizer.Next(&name);
  if (!more.ok() || !more.value()) return {};
  const TextCommand* command = FindCommand(name);
  return command == nullptr ? std::string_view() : command->name;
}

Result<Request> ParseTextRequest(std::string_view line, const Limits& limits) {
  TextTokenizer tokenizer(line);
  std::string name;
  Result<bool> more = tokenizer.Next(&name);
  if (!more.ok()) return more.error();
  if (!more.value()) return Error{StatusCode::kBadRequest, "empty command"};
  const TextCommand* command = FindCommand(name);
  if (command == nullptr) return UnknownCommand(name);
  // Arguments past the command's maximum are counted, not kept: a line of
  // millions of tokens costs no more memory than the line itself.
  std::vector<std::string> args(command->max_args);
  std::string surplus;
  size_t count = 0;
  while (true) {
    more = tokenizer.Next(count < args.size() ? &args[count] : &surplus);
    if (!more.ok()) return more.error();
    if (!more.value()) break;
    ++count;
  }
  if (count < command->min_args || count > command->max_args) {
    return Error{StatusCode::kBadRequest,
                 "wrong number of arguments to " + std::string(command->name) + " (" +
                     std::to_string(count) + "); usage: " + std::string(command->usage)};
  }
  args.resize(count);
  Result<Request> request = BuildRequest(*command, args);
  if (!request.ok()) return request;
  if (auto error = CheckLimits(request.value(), limits)) return *error;
  return request;
}

std::string FormatTextResponse(const Request& request, const Response& response) {
  Result<std::string> rest = TextAfterStatus(request, response);
  if (!rest.ok()) {
    return std::string(StatusName(rest.error().status)) + Separated(rest.error().message) + "\n";
  }
  return std::string(StatusName(response.status)) + rest.value() + "\n";
}

}  // namespace cairn::protocol
