// Response: one answer frame in owned form (status, echoed request id, raw
// fields), with a factory for every body shape of docs/protocol.md section 3.
// EncodeResponse writes it; ParseResponse reads it back on the client,
// checking the fields against what the status requires (NOT_FOUND: none,
// VERSION_MISMATCH: [u64], every error: [message]). An OK body depends on the
// request, so the typed readers below check it when the client asks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/codes.h"
#include "protocol/frame.h"
#include "protocol/result.h"

namespace cairn::protocol {

struct Response {
  StatusCode status = StatusCode::kOk;
  uint32_t request_id = 0;  // the factories leave it 0; the server sets it
  std::vector<std::string> fields;

  // OK with the given fields: none for AUTH, the request's fields for PING,
  // [JSON document] for STATS.
  static Response Ok(std::vector<std::string> fields = {});
  // OK [version u64]: PUT, DELETE, CAS, BATCH, SNAPSHOT.
  static Response OkVersion(uint64_t version);
  // OK [value, version u64]: GET, and INCR with the new value in decimal.
  static Response OkValue(std::string value, uint64_t version);
  // OK [k1, v1, ..., kn, vn, more u8].
  static Response OkScan(std::vector<std::pair<std::string, std::string>> entries, bool more);
  static Response NotFound();
  // VERSION_MISMATCH [current version u64], 0 when the key is absent.
  static Response VersionMismatch(uint64_t current_version);
  // REQUIRES: status is BAD_REQUEST or any later code in section 3 (a status
  // whose body is [message]).
  static Response Failure(StatusCode status, std::string message);

  friend bool operator==(const Response&, const Response&) = default;
};

// Appends the response frame (magic kResponseMagic).
// REQUIRES: the encoded fields total less than 2^32 bytes.
void EncodeResponse(const Response& response, std::string* out);

// Reads a response frame that FrameDecoder(kResponseMagic, ...) yielded.
// Fails (BAD_REQUEST, "malformed response: ...") on non-zero flags, an
// unknown status, fields that do not fill the body, or fields that do not
// fit the status.
Result<Response> ParseResponse(const FrameHeader& header, std::string_view body);

// Typed readers of response fields. They look at the fields only, not the
// status, and fail (BAD_REQUEST, "malformed response: ...") when the fields
// do not have the shape. Views point into the response's fields.

// [version u64]: OK to PUT, DELETE, CAS, BATCH, SNAPSHOT; VERSION_MISMATCH.
Result<uint64_t> ResponseVersion(const Response& response);

struct VersionedValue {
  std::string_view value;
  uint64_t version = 0;
};
// [value, version u64]: OK to GET and INCR.
Result<VersionedValue> ResponseValue(const Response& response);

struct ScanPage {
  std::vector<std::pair<std::string_view, std::string_view>> entries;
  bool more = false;
};
// [k1, v1, ..., kn, vn, more u8 (0 or 1)]: OK to SCAN.
Result<ScanPage> ResponseScan(const Response& response);

}  // namespace cairn::protocol
