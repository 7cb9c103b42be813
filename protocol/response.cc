// Response bodies (every field is u32 length + bytes; see frame.cc):
//
//   OK                per request (request.cc lists the opcodes):
//                     PING       the request's fields
//                     GET, INCR  [value, version u64]
//                     PUT, DELETE, CAS, BATCH, SNAPSHOT  [version u64]
//                     SCAN       [k1, v1, ..., kn, vn, more u8 0|1]
//                     STATS      [JSON document]
//                     AUTH       none
//   NOT_FOUND         none
//   VERSION_MISMATCH  [current version u64]
//   every other       [message]
#include "protocol/response.h"

#include <cassert>

namespace cairn::protocol {

namespace {

Error Malformed(std::string what) {
  return Error{StatusCode::kBadRequest, "malformed response: " + std::move(what)};
}

std::string FieldCount(size_t count) { return std::to_string(count) + " field(s)"; }

Result<uint64_t> SingleVersion(const std::vector<std::string>& fields) {
  if (fields.size() != 1) return Malformed("expected [version], got " + FieldCount(fields.size()));
  std::optional<uint64_t> version = DecodeU64(fields[0]);
  if (!version) return Malformed("the version field is not 8 bytes");
  return *version;
}

// The fields a status requires, checked; OK is checked by the typed readers.
std::optional<Error> CheckStatusFields(StatusCode status, const std::vector<std::string>& fields) {
  std::string name(StatusName(status));
  switch (status) {
    case StatusCode::kOk:
      return std::nullopt;
    case StatusCode::kNotFound:
      if (fields.empty()) return std::nullopt;
      return Malformed(name + " carries " + FieldCount(fields.size()) + ", expected none");
    case StatusCode::kVersionMismatch:
      if (Result<uint64_t> version = SingleVersion(fields); !version.ok()) return version.error();
      return std::nullopt;
    default:
      if (fields.size() == 1) return std::nullopt;
      return Malformed(name + " carries " + FieldCount(fields.size()) + ", expected [message]");
  }
}

}  // namespace

Response Response::Ok(std::vector<std::string> fields) {
  return Response{StatusCode::kOk, 0, std::move(fields)};
}

Response Response::OkVersion(uint64_t version) { return Ok({EncodeU64(version)}); }

Response Response::OkValue(std::string value, uint64_t version) {
  return Ok({std::move(value), EncodeU64(version)});
}

Response Response::OkScan(std::vector<std::pair<std::string, std::string>> entries, bool more) {
  std::vector<std::string> fields;
  fields.reserve(2 * entries.size() + 1);
  for (auto& [key, value] : entries) {
    fields.push_back(std::move(key));
    fields.push_back(std::move(value));
  }
  fields.push_back(EncodeU8(more ? 1 : 0));
  return Ok(std::move(fields));
}

Response Response::NotFound() { return Response{StatusCode::kNotFound, 0, {}}; }

Response Response::VersionMismatch(uint64_t current_version) {
  return Response{StatusCode::kVersionMismatch, 0, {EncodeU64(current_version)}};
}

Response Response::Failure(StatusCode status, std::string message) {
  assert(static_cast<uint8_t>(status) >= static_cast<uint8_t>(StatusCode::kBadRequest));
  return Response{status, 0, {std::move(message)}};
}

void EncodeResponse(const Response& response, std::string* out) {
  std::vector<std::string_view> fields(response.fields.begin(), response.fields.end());
  AppendFrame(out, kResponseMagic, static_cast<uint8_t>(response.status), response.request_id,
              fields);
}

Result<Response> ParseResponse(const FrameHeader& header, std::string_view body) {
  if (header.flags != 0) return Malformed("flags must be 0, got " + HexByte(header.flags));
  if (!IsKnownStatus(header.code)) return Malformed("unknown status " + HexByte(header.code));
  Result<std::vector<std::string_view>> split = SplitFields(body);
  if (!split.ok()) return Malformed(split.error().message);
  Response response{static_cast<StatusCode>(header.code), header.request_id,
                    std::vector<std::string>(split.value().begin(), split.value().end())};
  if (auto error = CheckStatusFields(response.status, response.fields)) return *error;
  return response;
}

Result<uint64_t> ResponseVersion(const Response& response) {
  return SingleVersion(response.fields);
}

Result<VersionedValue> ResponseValue(const Response& response) {
  if (response.fields.size() != 2) {
    return Malformed("expected [value, version], got " + FieldCount(response.fields.size()));
  }
  std::optional<uint64_t> version = DecodeU64(response.fields[1]);
  if (!version) return Malformed("the version field is not 8 bytes");
  return VersionedValue{response.fields[0], *version};
}

Result<ScanPage> ResponseScan(const Response& response) {
  const std::vector<std::string>& fields = response.fields;
  if (fields.size() % 2 != 1) {
    return Malformed("expected [k1, v1, ..., kn, vn, more], got " + FieldCount(fields.size()));
  }
  std::optional<uint8_t> more = DecodeU8(fields.back());
  if (!more || *more > 1) return Malformed("the more field must be one byte, 0 or 1");
  ScanPage page;
  page.more = *more == 1;
  page.entries.reserve(fields.size() / 2);
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    page.entries.emplace_back(fields[i], fields[i + 1]);
  }
  return page;
}

}  // namespace cairn::protocol
