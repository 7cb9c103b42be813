#include "client/requests.h"

#include <string>

namespace cairn {

namespace {

protocol::Request Make(protocol::Opcode opcode) {
  protocol::Request request;
  request.opcode = opcode;
  return request;
}

protocol::Request Keyed(protocol::Opcode opcode, std::string_view key) {
  protocol::Request request = Make(opcode);
  request.key = std::string(key);
  return request;
}

}  // namespace

protocol::Request PingRequest() { return Make(protocol::Opcode::kPing); }

protocol::Request GetRequest(std::string_view key) { return Keyed(protocol::Opcode::kGet, key); }

protocol::Request PutRequest(std::string_view key, std::string_view value) {
  protocol::Request request = Keyed(protocol::Opcode::kPut, key);
  request.value = std::string(value);
  return request;
}

protocol::Request DelRequest(std::string_view key) { return Keyed(protocol::Opcode::kDelete, key); }

protocol::Request DelRequest(std::string_view key, uint64_t expected_version) {
  protocol::Request request = Keyed(protocol::Opcode::kDelete, key);
  request.has_expected_version = true;
  request.expected_version = expected_version;
  return request;
}

protocol::Request CasRequest(std::string_view key, uint64_t expected_version,
                             std::string_view value) {
  protocol::Request request = Keyed(protocol::Opcode::kCas, key);
  request.has_expected_version = true;
  request.expected_version = expected_version;
  request.value = std::string(value);
  return request;
}

protocol::Request IncrRequest(std::string_view key, int64_t delta) {
  protocol::Request request = Keyed(protocol::Opcode::kIncr, key);
  request.delta = delta;
  return request;
}

protocol::Request BatchRequest(const WriteBatch& batch) {
  protocol::Request request = Make(protocol::Opcode::kBatch);
  request.batch = batch.ops();
  return request;
}

protocol::Request ScanRequest(std::string_view start, std::string_view end, uint32_t limit) {
  protocol::Request request = Make(protocol::Opcode::kScan);
  request.start = std::string(start);
  request.end = std::string(end);
  request.limit = limit;
  return request;
}

protocol::Request StatsRequest() { return Make(protocol::Opcode::kStats); }

protocol::Request SnapshotRequest() { return Make(protocol::Opcode::kSnapshot); }

protocol::Request AuthRequest(std::string_view token) {
  protocol::Request request = Make(protocol::Opcode::kAuth);
  request.token = std::string(token);
  return request;
}

}  // namespace cairn
