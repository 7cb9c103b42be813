// Typed readings of the server's answers (docs/protocol.md section 3),
// shared by Client's calls and by Pipeline users. Each takes the answer to
// the request it names and returns the typed result, the server's error as a
// Status (see ReplyStatus), or kProtocolError when an OK answer does not
// have the shape that request calls for.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "client/status.h"
#include "protocol/response.h"

namespace cairn {

// A value and the version of the write that stored it.
struct Versioned {
  std::string value;
  uint64_t version = 0;

  friend bool operator==(const Versioned&, const Versioned&) = default;
};

// The answer to a write that may be declined without an error: DEL of an
// absent key, CAS or DEL whose expected version is not the current one.
struct CondResult {
  bool applied = false;
  // applied: the version of this write. Otherwise the key's current
  // version, 0 when it is absent.
  uint64_t version = 0;

  friend bool operator==(const CondResult&, const CondResult&) = default;
};

struct IncrResult {
  int64_t value = 0;  // the new value
  uint64_t version = 0;

  friend bool operator==(const IncrResult&, const IncrResult&) = default;
};

// OK, or the answer's status and message; VERSION_MISMATCH gets the message
// "current version N". Enough for PING and AUTH.
Status ReplyStatus(const protocol::Response& response);

// GET: the value with its version; nullopt for NOT_FOUND.
Result<std::optional<Versioned>> ReadGetReply(const protocol::Response& response);
// PUT, BATCH, SNAPSHOT: the version.
Result<uint64_t> ReadVersionReply(const protocol::Response& response);
// DEL, CAS: applied on OK, not applied on NOT_FOUND or VERSION_MISMATCH.
Result<CondResult> ReadCondReply(const protocol::Response& response);
// INCR: the new value, parsed from its decimal form.
Result<IncrResult> ReadIncrReply(const protocol::Response& response);
// SCAN: one page; its entries view response's fields.
Result<protocol::ScanPage> ReadScanReply(const protocol::Response& response);
// STATS: the JSON document, parsed.
Result<nlohmann::json> ReadStatsReply(const protocol::Response& response);

}  // namespace cairn
