#include "client/reply.h"

#include <charconv>
#include <utility>

namespace cairn {

namespace {

using protocol::StatusCode;

Code CodeOf(StatusCode status) {
  switch (status) {
    case StatusCode::kOk:
      return Code::kOk;
    case StatusCode::kNotFound:
      return Code::kNotFound;
    case StatusCode::kVersionMismatch:
      return Code::kVersionMismatch;
    case StatusCode::kBadRequest:
      return Code::kBadRequest;
    case StatusCode::kUnknownOpcode:
      return Code::kUnknownOpcode;
    case StatusCode::kTooLarge:
      return Code::kTooLarge;
    case StatusCode::kTypeError:
      return Code::kTypeError;
    case StatusCode::kUnauthorized:
      return Code::kUnauthorized;
    case StatusCode::kIoError:
      return Code::kIoError;
    case StatusCode::kReadOnly:
      return Code::kReadOnly;
    case StatusCode::kBusy:
      return Code::kBusy;
    case StatusCode::kShuttingDown:
      return Code::kShuttingDown;
  }
  return Code::kProtocolError;  // ParseResponse admits known statuses only
}

Status Malformed(const protocol::Error& error) {
  return Status(Code::kProtocolError, error.message);
}

}  // namespace

Status ReplyStatus(const protocol::Response& response) {
  switch (response.status) {
    case StatusCode::kOk:
      return Status();
    case StatusCode::kNotFound:
      return Status(Code::kNotFound, "");
    case StatusCode::kVersionMismatch: {
      protocol::Result<uint64_t> current = protocol::ResponseVersion(response);
      if (!current.ok()) return Malformed(current.error());
      return Status(Code::kVersionMismatch, "current version " + std::to_string(current.value()));
    }
    default:
      // ParseResponse checked that an error status carries [message].
      return Status(CodeOf(response.status),
                    response.fields.empty() ? std::string() : response.fields[0]);
  }
}

Result<std::optional<Versioned>> ReadGetReply(const protocol::Response& response) {
  if (response.status == StatusCode::kNotFound) return std::optional<Versioned>();
  if (response.status != StatusCode::kOk) return ReplyStatus(response);
  protocol::Result<protocol::VersionedValue> read = protocol::ResponseValue(response);
  if (!read.ok()) return Malformed(read.error());
  return std::optional<Versioned>(Versioned{std::string(read.value().value), read.value().version});
}

Result<uint64_t> ReadVersionReply(const protocol::Response& response) {
  if (response.status != StatusCode::kOk) return ReplyStatus(response);
  protocol::Result<uint64_t> version = protocol::ResponseVersion(response);
  if (!version.ok()) return Malformed(version.error());
  return version.value();
}

Result<CondResult> ReadCondReply(const protocol::Response& response) {
  switch (response.status) {
    case StatusCode::kNotFound:
      return CondResult{.applied = false, .version = 0};
    case StatusCode::kOk:
    case StatusCode::kVersionMismatch: {
      protocol::Result<uint64_t> version = protocol::ResponseVersion(response);
      if (!version.ok()) return Malformed(version.error());
      return CondResult{.applied = response.status == StatusCode::kOk, .version = version.value()};
    }
    default:
      return ReplyStatus(response);
  }
}

Result<IncrResult> ReadIncrReply(const protocol::Response& response) {
  if (response.status != StatusCode::kOk) return ReplyStatus(response);
  protocol::Result<protocol::VersionedValue> read = protocol::ResponseValue(response);
  if (!read.ok()) return Malformed(read.error());
  const std::string_view text = read.value().value;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status(Code::kProtocolError, "INCR answered a value that is not a decimal i64");
  }
  return IncrResult{.value = value, .version = read.value().version};
}

Result<protocol::ScanPage> ReadScanReply(const protocol::Response& response) {
  if (response.status != StatusCode::kOk) return ReplyStatus(response);
  protocol::Result<protocol::ScanPage> page = protocol::ResponseScan(response);
  if (!page.ok()) return Malformed(page.error());
  return std::move(page).value();
}

Result<nlohmann::json> ReadStatsReply(const protocol::Response& response) {
  if (response.status != StatusCode::kOk) return ReplyStatus(response);
  if (response.fields.size() != 1) {
    return Status(Code::kProtocolError, "STATS answered " + std::to_string(response.fields.size()) +
                                            " fields, not [JSON document]");
  }
  // The non-throwing parse: a bad document is a status, not an exception.
  nlohmann::json document = nlohmann::json::parse(response.fields[0], nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return Status(Code::kProtocolError, "STATS answered a document that is not a JSON object");
  }
  return document;
}

}  // namespace cairn
