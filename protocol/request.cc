// Request bodies by opcode (every field is u32 length + bytes; see frame.cc):
//
//   0x01 PING      none, or [payload]
//   0x02 GET       [key]
//   0x03 PUT       [key, value]
//   0x04 DELETE    [key] or [key, expected version u64]
//   0x05 CAS       [key, expected version u64, value]
//   0x06 BATCH     one or more triples [op u8, key, value];
//                  op 0x03 put, 0x04 delete (whose value must be empty)
//   0x07 SCAN      [start key, end key, limit u32]
//   0x08 INCR      [key, delta i64]
//   0x09 STATS     none
//   0x0A AUTH      [token]
//   0x0B SNAPSHOT  none
//
// Checks run in this order, and the first failure is the answer: flags,
// opcode, fields filling the body, field count, field widths and BATCH op
// bytes, then the key and value limits.
#include "protocol/request.h"

#include <cassert>
#include <cstddef>
#include <limits>
#include <span>

namespace cairn::protocol {

namespace {

constexpr uint8_t kBatchPutOp = static_cast<uint8_t>(Opcode::kPut);
constexpr uint8_t kBatchDeleteOp = static_cast<uint8_t>(Opcode::kDelete);
constexpr std::string_view kBatchPutField("\x03", 1);
constexpr std::string_view kBatchDeleteField("\x04", 1);

// How many fields an opcode takes, and how docs/protocol.md names them.
struct Shape {
  size_t min_fields;
  size_t max_fields;
  std::string_view fields;
};

std::optional<Shape> ShapeOf(Opcode opcode) {
  constexpr size_t kAny = std::numeric_limits<size_t>::max();
  switch (opcode) {
    case Opcode::kPing:
      return Shape{0, 1, "none or [payload]"};
    case Opcode::kGet:
      return Shape{1, 1, "[key]"};
    case Opcode::kPut:
      return Shape{2, 2, "[key, value]"};
    case Opcode::kDelete:
      return Shape{1, 2, "[key] or [key, expected version u64]"};
    case Opcode::kCas:
      return Shape{3, 3, "[key, expected version u64, value]"};
    case Opcode::kBatch:  // ReadBatch checks the count
      return Shape{0, kAny, "triples [op u8, key, value]"};
    case Opcode::kScan:
      return Shape{3, 3, "[start key, end key, limit u32]"};
    case Opcode::kIncr:
      return Shape{2, 2, "[key, delta i64]"};
    case Opcode::kStats:
      return Shape{0, 0, "no fields"};
    case Opcode::kAuth:
      return Shape{1, 1, "[token]"};
    case Opcode::kSnapshot:
      return Shape{0, 0, "no fields"};
  }
  return std::nullopt;
}

template <typename T>
std::optional<Error> ReadInteger(Opcode opcode, std::string_view name, std::string_view type,
                                 std::optional<T> (*decode)(std::string_view),
                                 std::string_view field, T* out) {
  std::optional<T> value = decode(field);
  if (!value) {
    return Error{StatusCode::kBadRequest,
                 std::string(OpcodeName(opcode)) + " " + std::string(name) +
                     " must be a field of exactly " + std::to_string(sizeof(T)) + " bytes (" +
                     std::string(type) + "), got " + std::to_string(field.size())};
  }
  *out = *value;
  return std::nullopt;
}

std::optional<Error> ReadBatch(std::span<const std::string_view> fields,
                               std::vector<BatchOp>* ops) {
  if (fields.empty()) {
    return Error{StatusCode::kBadRequest, "BATCH is empty; it needs at least one operation"};
  }
  if (fields.size() % 3 != 0) {
    return Error{StatusCode::kBadRequest, "BATCH expects triples [op u8, key, value], got " +
                                              std::to_string(fields.size()) + " fields"};
  }
  ops->reserve(fields.size() / 3);
  for (size_t i = 0; i < fields.size(); i += 3) {
    std::string number = std::to_string(i / 3 + 1);
    std::optional<uint8_t> op = DecodeU8(fields[i]);
    if (!op || (*op != kBatchPutOp && *op != kBatchDeleteOp)) {
      return Error{StatusCode::kBadRequest,
                   "BATCH operation " + number +
                       ": the op field must be one byte, 0x03 (put) or 0x04 (delete)"};
    }
    bool is_delete = *op == kBatchDeleteOp;
    if (is_delete && !fields[i + 2].empty()) {
      return Error{StatusCode::kBadRequest, "BATCH operation " + number + " is a delete with a " +
                                                std::to_string(fields[i + 2].size()) +
                                                "-byte value; a delete's value must be empty"};
    }
    ops->push_back(BatchOp{is_delete, std::string(fields[i + 1]), std::string(fields[i + 2])});
  }
  return std::nullopt;
}

// REQUIRES: fields.size() is within ShapeOf(request->opcode).
std::optional<Error> ReadFields(std::span<const std::string_view> fields, Request* request) {
  const Opcode opcode = request->opcode;
  switch (opcode) {
    case Opcode::kPing:
      if (!fields.empty()) request->ping_payload = std::string(fields[0]);
      break;
    case Opcode::kGet:
      request->key = fields[0];
      break;
    case Opcode::kPut:
      request->key = fields[0];
      request->value = fields[1];
      break;
    case Opcode::kDelete:
      request->key = fields[0];
      if (fields.size() == 2) {
        request->has_expected_version = true;
        return ReadInteger(opcode, "expected version", "u64", DecodeU64, fields[1],
                           &request->expected_version);
      }
      break;
    case Opcode::kCas:
      request->key = fields[0];
      request->value = fields[2];
      request->has_expected_version = true;
      return ReadInteger(opcode, "expected version", "u64", DecodeU64, fields[1],
                         &request->expected_version);
    case Opcode::kBatch:
      return ReadBatch(fields, &request->batch);
    case Opcode::kScan:
      request->start = fields[0];
      request->end = fields[1];
      return ReadInteger(opcode, "limit", "u32", DecodeU32, fields[2], &request->limit);
    case Opcode::kIncr:
      request->key = fields[0];
      return ReadInteger(opcode, "delta", "i64", DecodeI64, fields[1], &request->delta);
    case Opcode::kStats:
    case Opcode::kSnapshot:
      break;
    case Opcode::kAuth:
      request->token = fields[0];
      break;
  }
  return std::nullopt;
}

std::optional<Error> CheckSize(std::string_view what, size_t size, std::string_view limit_name,
                               uint32_t limit) {
  if (size <= limit) return std::nullopt;
  return Error{StatusCode::kTooLarge, std::string(what) + " is " + std::to_string(size) +
                                          " bytes, over " + std::string(limit_name) + " " +
                                          std::to_string(limit)};
}

}  // namespace

std::optional<Error> CheckLimits(const Request& request, const Limits& limits) {
  auto check_key = [&](std::string_view key) {
    return CheckSize("key", key.size(), "max_key_bytes", limits.max_key_bytes);
  };
  auto check_value = [&](std::string_view value) {
    return CheckSize("value", value.size(), "max_value_bytes", limits.max_value_bytes);
  };
  if (auto error = check_key(request.key)) return error;
  if (auto error = check_value(request.value)) return error;
  for (const BatchOp& op : request.batch) {
    if (auto error = check_key(op.key)) return error;
    if (auto error = check_value(op.value)) return error;
  }
  return std::nullopt;
}

Result<Request> ParseRequest(const FrameHeader& header, std::string_view body,
                             const Limits& limits) {
  if (header.flags != 0) {
    return Error{StatusCode::kBadRequest, "flags must be 0, got " + HexByte(header.flags)};
  }
  const Opcode opcode = static_cast<Opcode>(header.code);
  std::optional<Shape> shape = ShapeOf(opcode);
  if (!shape) {
    return Error{StatusCode::kUnknownOpcode, "unknown opcode " + HexByte(header.code)};
  }
  // Counted before anything is stored, so a body of millions of empty
  // fields costs no memory.
  Result<size_t> count = CountFields(body);
  if (!count.ok()) return count.error();
  if (opcode == Opcode::kBatch && count.value() > 3 * kMaxBatchOps) {
    return Error{StatusCode::kBadRequest, "BATCH holds " + std::to_string(count.value()) +
                                              " fields; at most " + std::to_string(kMaxBatchOps) +
                                              " operations (triples) are allowed"};
  }
  if (count.value() < shape->min_fields || count.value() > shape->max_fields) {
    return Error{StatusCode::kBadRequest, std::string(OpcodeName(opcode)) + " expects " +
                                              std::string(shape->fields) + ", got " +
                                              std::to_string(count.value()) + " field(s)"};
  }
  Result<std::vector<std::string_view>> fields = SplitFields(body, count.value());
  if (!fields.ok()) return fields.error();
  Request request;
  request.opcode = opcode;
  request.request_id = header.request_id;
  if (auto error = ReadFields(fields.value(), &request)) return *error;
  if (auto error = CheckLimits(request, limits)) return *error;
  return request;
}

void EncodeRequest(const Request& request, std::string* out) {
  assert(!request.quit);
  std::string integer;  // a request carries at most one integer field
  std::vector<std::string_view> fields;
  switch (request.opcode) {
    case Opcode::kPing:
      if (request.ping_payload) fields.push_back(*request.ping_payload);
      break;
    case Opcode::kGet:
      fields = {request.key};
      break;
    case Opcode::kPut:
      fields = {request.key, request.value};
      break;
    case Opcode::kDelete:
      fields = {request.key};
      if (request.has_expected_version) {
        integer = EncodeU64(request.expected_version);
        fields.push_back(integer);
      }
      break;
    case Opcode::kCas:
      integer = EncodeU64(request.expected_version);
      fields = {request.key, integer, request.value};
      break;
    case Opcode::kBatch:
      for (const BatchOp& op : request.batch) {
        fields.push_back(op.is_delete ? kBatchDeleteField : kBatchPutField);
        fields.push_back(op.key);
        fields.push_back(op.value);
      }
      break;
    case Opcode::kScan:
      integer = EncodeU32(request.limit);
      fields = {request.start, request.end, integer};
      break;
    case Opcode::kIncr:
      integer = EncodeI64(request.delta);
      fields = {request.key, integer};
      break;
    case Opcode::kStats:
    case Opcode::kSnapshot:
      break;
    case Opcode::kAuth:
      fields = {request.token};
      break;
  }
  AppendFrame(out, kRequestMagic, static_cast<uint8_t>(request.opcode), request.request_id, fields);
}

}  // namespace cairn::protocol
