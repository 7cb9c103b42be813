#include "protocol/codes.h"

#include <cstdio>

namespace cairn::protocol {

bool IsKnownOpcode(uint8_t code) { return OpcodeName(static_cast<Opcode>(code)) != "UNKNOWN"; }

bool IsKnownStatus(uint8_t code) { return StatusName(static_cast<StatusCode>(code)) != "UNKNOWN"; }

std::string_view OpcodeName(Opcode opcode) {
  switch (opcode) {
    case Opcode::kPing:
      return "PING";
    case Opcode::kGet:
      return "GET";
    case Opcode::kPut:
      return "PUT";
    case Opcode::kDelete:
      return "DELETE";
    case Opcode::kCas:
      return "CAS";
    case Opcode::kBatch:
      return "BATCH";
    case Opcode::kScan:
      return "SCAN";
    case Opcode::kIncr:
      return "INCR";
    case Opcode::kStats:
      return "STATS";
    case Opcode::kAuth:
      return "AUTH";
    case Opcode::kSnapshot:
      return "SNAPSHOT";
  }
  return "UNKNOWN";
}

std::string_view StatusName(StatusCode status) {
  switch (status) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kVersionMismatch:
      return "VERSION_MISMATCH";
    case StatusCode::kBadRequest:
      return "BAD_REQUEST";
    case StatusCode::kUnknownOpcode:
      return "UNKNOWN_OPCODE";
    case StatusCode::kTooLarge:
      return "TOO_LARGE";
    case StatusCode::kTypeError:
      return "TYPE_ERROR";
    case StatusCode::kUnauthorized:
      return "UNAUTHORIZED";
    case StatusCode::kIoError:
      return "IO_ERROR";
    case StatusCode::kReadOnly:
      return "READ_ONLY";
    case StatusCode::kBusy:
      return "BUSY";
    case StatusCode::kShuttingDown:
      return "SHUTTING_DOWN";
  }
  return "UNKNOWN";
}

std::string HexByte(uint8_t byte) {
  char text[5];
  std::snprintf(text, sizeof(text), "0x%02x", byte);
  return text;
}

}  // namespace cairn::protocol
