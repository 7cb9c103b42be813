// Status and Result<T>: how every call of the client library reports
// failure (nothing in it throws). A Status is OK, a server error (an answer
// that is not OK: its status from docs/protocol.md section 3 and its message), or
// a connection error raised on this side. They call for different actions:
// - A server error is the final answer to that request; the connection stays
//   usable (except after BUSY on a new connection, which the server closes;
//   the next call then reconnects).
// - After a connection error no answer arrived: unless the code is
//   kConnectFailed the request may or may not have been executed (client.h
//   says which calls are safe to retry), and the next call reconnects.
// - kMisuse is a bug in the caller: a call the contract of client.h or
//   pipeline.h forbids at that moment. Nothing was sent and the call changed
//   nothing; the Client and an open Pipeline keep working.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cairn {

enum class Code : uint8_t {
  kOk,
  // Server errors, named as in docs/protocol.md section 3.
  kNotFound,
  kVersionMismatch,
  kBadRequest,
  kUnknownOpcode,
  kTooLarge,  // also raised locally for a request over ClientOptions::max_frame_bytes
  kTypeError,
  kUnauthorized,
  kIoError,
  kReadOnly,
  kBusy,
  kShuttingDown,
  // Connection errors.
  kConnectFailed,   // no connection could be made (resolve, refused, timeout); nothing was sent
  kConnectionLost,  // the connection broke or closed before the answer arrived
  kTimeout,         // no progress for ClientOptions::io_timeout; the connection is dropped
  kProtocolError,   // the answer does not follow docs/protocol.md
  // Raised on this side before anything is sent.
  kMisuse,  // a call the contract forbids now, e.g. Client::Call while a Pipeline is open
};

// "OK", "NOT_FOUND", ... exactly as docs/protocol.md names the server statuses;
// "CONNECT_FAILED", "CONNECTION_LOST", "TIMEOUT", "PROTOCOL_ERROR", "MISUSE".
std::string_view CodeName(Code code);

class Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // A non-OK answer from the server.
  bool IsServerError() const { return !ok() && code_ < Code::kConnectFailed; }
  bool IsConnectionError() const {
    return code_ >= Code::kConnectFailed && code_ <= Code::kProtocolError;
  }

  // "OK", or the code name, then ": " and the message when there is one.
  std::string ToString() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  // Implicit on purpose, so a function can `return value;` or `return status;`.
  Result(T value) : state_(std::move(value)) {}         // NOLINT(runtime/explicit)
  Result(Status status) : state_(std::move(status)) {}  // NOLINT(runtime/explicit)
  // REQUIRES (for the Status constructor): !status.ok().

  bool ok() const { return state_.index() == 0; }
  // OK when ok(), else the error.
  Status status() const { return ok() ? Status() : std::get<1>(state_); }

  // REQUIRES: ok().
  const T& value() const& { return std::get<0>(state_); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace cairn
