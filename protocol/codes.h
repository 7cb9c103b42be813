// The opcodes and statuses (docs/protocol.md section 3) of the wire
// protocol, and their names. A code byte read off the wire may hold any value:
// check it with IsKnownOpcode / IsKnownStatus before trusting the enum.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::protocol {

enum class Opcode : uint8_t {
  kPing = 0x01,
  kGet = 0x02,
  kPut = 0x03,
  kDelete = 0x04,
  kCas = 0x05,
  kBatch = 0x06,
  kScan = 0x07,
  kIncr = 0x08,
  kStats = 0x09,
  kAuth = 0x0A,
  kSnapshot = 0x0B,
};

enum class StatusCode : uint8_t {
  kOk = 0x00,
  kNotFound = 0x01,
  kVersionMismatch = 0x02,
  kBadRequest = 0x10,
  kUnknownOpcode = 0x11,
  kTooLarge = 0x12,
  kTypeError = 0x13,
  kUnauthorized = 0x14,
  kIoError = 0x20,
  kReadOnly = 0x21,
  kBusy = 0x22,
  kShuttingDown = 0x23,
};

bool IsKnownOpcode(uint8_t code);
bool IsKnownStatus(uint8_t code);
// "PING", "GET", ...; "UNKNOWN" for a value outside the enum.
std::string_view OpcodeName(Opcode opcode);
// "OK", "NOT_FOUND", ... exactly as docs/protocol.md section 3; "UNKNOWN" for a
// value outside the enum.
std::string_view StatusName(StatusCode status);
// "0x0c": a code, flags or magic byte as error messages print it.
std::string HexByte(uint8_t byte);

}  // namespace cairn::protocol
