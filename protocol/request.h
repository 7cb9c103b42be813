// Request: one client request in owned, typed form, whichever mode it came
// in. ParseRequest reads a well-framed binary request (FrameDecoder has
// already checked magic, version and body length) and rejects what
// docs/protocol.md calls errors that keep the connection: non-zero flags, fields
// that do not fill the body, a wrong field count or width, a malformed BATCH
// (all BAD_REQUEST), an unknown opcode (UNKNOWN_OPCODE), and a key or value
// over the limits (TOO_LARGE). EncodeRequest writes the frame a client sends;
// ParseRequest of it gives the request back, equal member for member.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/codes.h"
#include "protocol/frame.h"
#include "protocol/result.h"

namespace cairn::protocol {

// Server-side limits; defaults from docs/protocol.md section 8.
struct Limits {
  uint32_t max_key_bytes = 65536;
  uint32_t max_value_bytes = 16777216;
  uint32_t max_frame_bytes = 33554432;  // body length, header not counted
};

// Operations one BATCH may hold (docs/protocol.md section 8). Checked before
// any is stored: each costs the server about 150 bytes beyond its key and
// value while the batch waits for the writer.
inline constexpr size_t kMaxBatchOps = 100000;

struct BatchOp {
  bool is_delete = false;
  std::string key;
  std::string value;  // empty for a delete

  friend bool operator==(const BatchOp&, const BatchOp&) = default;
};

// Only the members the opcode uses are meaningful; the others keep their
// defaults.
struct Request {
  Opcode opcode = Opcode::kPing;
  // Text mode QUIT, which has no opcode and is never sent on the wire: answer
  // OK and close. When set, every other member keeps its default.
  bool quit = false;
  uint32_t request_id = 0;  // 0 in text mode

  std::string key;                    // GET PUT DELETE CAS INCR
  std::string value;                  // PUT CAS
  bool has_expected_version = false;  // DELETE (optional), CAS (always)
  uint64_t expected_version = 0;
  int64_t delta = 0;                        // INCR
  std::string start;                        // SCAN, inclusive
  std::string end;                          // SCAN, exclusive; empty means no upper bound
  uint32_t limit = 0;                       // SCAN; 0 means the server's default
  std::vector<BatchOp> batch;               // BATCH, at least one op
  std::optional<std::string> ping_payload;  // PING
  std::string token;                        // AUTH

  friend bool operator==(const Request&, const Request&) = default;
};

// Checks every key (GET PUT DELETE CAS INCR, BATCH ops) against
// max_key_bytes and every value (PUT CAS, BATCH puts) against
// max_value_bytes; TOO_LARGE names the limit crossed. SCAN bounds are not
// keys and are bounded only by the frame (a continuation start is the last
// key plus one byte, so it may be one byte over max_key_bytes).
std::optional<Error> CheckLimits(const Request& request, const Limits& limits);

// request_id is taken from the header.
Result<Request> ParseRequest(const FrameHeader& header, std::string_view body,
                             const Limits& limits);

// Appends the request's frame.
// REQUIRES: !request.quit, and request is valid for its opcode (CAS has an
// expected version, BATCH is not empty, a batch delete has an empty value).
void EncodeRequest(const Request& request, std::string* out);

}  // namespace cairn::protocol
