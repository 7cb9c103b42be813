#include "client/status.h"

namespace cairn {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "NOT_FOUND";
    case Code::kVersionMismatch:
      return "VERSION_MISMATCH";
    case Code::kBadRequest:
      return "BAD_REQUEST";
    case Code::kUnknownOpcode:
      return "UNKNOWN_OPCODE";
    case Code::kTooLarge:
      return "TOO_LARGE";
    case Code::kTypeError:
      return "TYPE_ERROR";
    case Code::kUnauthorized:
      return "UNAUTHORIZED";
    case Code::kIoError:
      return "IO_ERROR";
    case Code::kReadOnly:
      return "READ_ONLY";
    case Code::kBusy:
      return "BUSY";
    case Code::kShuttingDown:
      return "SHUTTING_DOWN";
    case Code::kConnectFailed:
      return "CONNECT_FAILED";
    case Code::kConnectionLost:
      return "CONNECTION_LOST";
    case Code::kTimeout:
      return "TIMEOUT";
    case Code::kProtocolError:
      return "PROTOCOL_ERROR";
    case Code::kMisuse:
      return "MISUSE";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  std::string text(CodeName(code_));
  if (!message_.empty()) text += ": " + message_;
  return text;
}

}  // namespace cairn
