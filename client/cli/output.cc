#include "client/cli/output.h"

#include <string>

#include "client/cli/terminal_text.h"
#include "client/reply.h"
#include "protocol/text.h"

namespace cairn::cli {

namespace {

using protocol::Opcode;
using protocol::StatusCode;

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xF]);
  }
  return hex;
}

// A key or value as one output line.
std::string Item(Format format, std::string_view bytes) {
  return (format == Format::kHex ? Hex(bytes) : std::string(bytes)) + "\n";
}

// The payload lines of an OK answer, or the failure to read it.
Result<std::string> Payload(Format format, const protocol::Request& request,
                            const protocol::Response& response) {
  switch (request.opcode) {
    case Opcode::kGet: {
      Result<std::optional<Versioned>> got = ReadGetReply(response);
      if (!got.ok()) return got.status();
      return Item(format, got.value()->value);  // OK, so present
    }
    case Opcode::kIncr: {
      Result<IncrResult> incr = ReadIncrReply(response);
      if (!incr.ok()) return incr.status();
      return Item(format, std::to_string(incr.value().value));
    }
    case Opcode::kScan: {
      Result<protocol::ScanPage> page = ReadScanReply(response);
      if (!page.ok()) return page.status();
      std::string lines;
      for (const auto& [key, value] : page.value().entries)
        lines += FormatEntry(format, key, value);
      return lines;
    }
    case Opcode::kPing: {
      std::string lines;
      for (const std::string& field : response.fields) lines += Item(format, field);
      return lines.empty() ? std::string("OK\n") : lines;
    }
    case Opcode::kAuth:
      return std::string("OK\n");
    case Opcode::kStats: {
      Result<nlohmann::json> stats = ReadStatsReply(response);
      if (!stats.ok()) return stats.status();
      return TerminalSafe(response.fields[0]) + "\n";
    }
    case Opcode::kPut:
    case Opcode::kDelete:
    case Opcode::kCas:
    case Opcode::kBatch:
    case Opcode::kSnapshot:
      break;
  }
  Result<uint64_t> version = ReadVersionReply(response);
  if (!version.ok()) return version.status();
  return std::to_string(version.value()) + "\n";
}

}  // namespace

Printed FormatAnswer(Format format, const protocol::Request& request,
                     const protocol::Response& response) {
  if (format == Format::kQuoted) {
    return {TerminalSafe(protocol::FormatTextResponse(request, response)), ""};
  }
  if (response.status != StatusCode::kOk) {
    return {"", TerminalSafe(protocol::FormatTextResponse(request, response))};
  }
  Result<std::string> payload = Payload(format, request, response);
  if (!payload.ok()) return {"", TerminalSafe(payload.status().ToString()) + "\n"};
  return {std::move(payload).value(), ""};
}

std::string FormatEntry(Format format, std::string_view key, std::string_view value) {
  if (format == Format::kQuoted) {
    return protocol::QuoteText(key) + " " + protocol::QuoteText(value) + "\n";
  }
  return Item(format, key) + Item(format, value);
}

int ExitCodeOf(const protocol::Response& response) {
  switch (response.status) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kNotFound:
    case StatusCode::kVersionMismatch:
      return kExitNegative;
    default:
      return kExitError;
  }
}

std::string DescribeFailure(const Status& status) {
  // The message may quote the server (a refused AUTH, a bad answer).
  const std::string message = TerminalSafe(status.message());
  switch (status.code()) {
    case Code::kConnectFailed:
      return "cairn-cli: " + message;
    case Code::kTimeout:
      return "cairn-cli: timed out: " + message;
    case Code::kUnauthorized:
      return "cairn-cli: authentication failed: " + message +
             " (check --auth-token-file or CAIRN_AUTH_TOKEN)";
    default:
      return "cairn-cli: " + TerminalSafe(status.ToString());
  }
}

}  // namespace cairn::cli
