#include "server/service.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "server/writer.h"

namespace cairn::server {

namespace {

using protocol::Opcode;
using protocol::Response;
using protocol::StatusCode;

constexpr uint32_t kDefaultScanLimit = 1000;
constexpr uint32_t kMaxScanLimit = 100000;
// Per SCAN entry, two u32 field lengths; per page, the `more` field.
constexpr uint64_t kScanEntryOverhead = 8;
constexpr uint64_t kScanPageOverhead = 5;

}  // namespace

Service::Service(const Config& config, storage::DB* db, const Writer* writer, TokenVerifier auth)
    : config_(config),
      limits_{config.max_key_bytes, config.max_value_bytes, config.max_frame_bytes},
      db_(db),
      writer_(writer),
      auth_(std::move(auth)) {}

bool Service::IsWrite(Opcode op) {
  switch (op) {
    case Opcode::kPut:
    case Opcode::kDelete:
    case Opcode::kCas:
    case Opcode::kBatch:
    case Opcode::kIncr:
      return true;
    default:
      return false;
  }
}

Response Service::ExecuteRead(const protocol::Request& request) const {
  counters_.reads++;
  switch (request.opcode) {
    case Opcode::kPing: {
      std::vector<std::string> fields;
      if (request.ping_payload) fields.push_back(*request.ping_payload);
      return Response::Ok(std::move(fields));
    }
    case Opcode::kGet: {
      std::optional<storage::ValueAndVersion> found = db_->Get(request.key);
      if (!found) return Response::NotFound();
      return Response::OkValue(std::move(found->value), found->version);
    }
    case Opcode::kScan: {
      const uint32_t limit =
          request.limit == 0 ? kDefaultScanLimit : std::min(request.limit, kMaxScanLimit);
      storage::ScanResult page =
          db_->Scan(request.start, request.end, limit, config_.max_frame_bytes);
      // The store counted keys and values; the frame also holds their field
      // lengths. Drop entries from the end until the answer fits.
      uint64_t framed = kScanPageOverhead;
      for (const auto& [key, value] : page.entries) {
        framed += kScanEntryOverhead + key.size() + value.size();
      }
      while (framed > config_.max_frame_bytes && page.entries.size() > 1) {
        framed -= kScanEntryOverhead + page.entries.back().first.size() +
                  page.entries.back().second.size();
        page.entries.pop_back();
        page.more = true;
      }
      return Response::OkScan(std::move(page.entries), page.more);
    }
    case Opcode::kStats:
      return Response::Ok({StatsJson()});
    default:
      return Response::Failure(
          StatusCode::kBadRequest,
          std::string(protocol::OpcodeName(request.opcode)) + " is not a read");
  }
}

storage::Mutation Service::ToMutation(protocol::Request* r) {
  switch (r->opcode) {
    case Opcode::kPut:
      return storage::Mutation::Put(std::move(r->key), std::move(r->value));
    case Opcode::kDelete:
      return r->has_expected_version
                 ? storage::Mutation::DeleteIfVersion(std::move(r->key), r->expected_version)
                 : storage::Mutation::Delete(std::move(r->key));
    case Opcode::kCas:
      return storage::Mutation::Cas(std::move(r->key), r->expected_version, std::move(r->value));
    case Opcode::kIncr:
      return storage::Mutation::Incr(std::move(r->key), r->delta);
    default: {
      std::vector<storage::BatchOp> ops;
      ops.reserve(r->batch.size());
      for (protocol::BatchOp& op : r->batch) {
        ops.push_back({op.is_delete, std::move(op.key), std::move(op.value)});
      }
      return storage::Mutation::Batch(std::move(ops));
    }
  }
}

uint64_t Service::PendingBytes(const protocol::Request& r) {
  // A batch op lives twice while it waits: parsed, then as the storage op its
  // key and value move into.
  constexpr uint64_t kPerBatchOp = sizeof(protocol::BatchOp) + sizeof(storage::BatchOp);
  uint64_t bytes = sizeof(protocol::Request) + r.key.size() + r.value.size();
  for (const protocol::BatchOp& op : r.batch) {
    bytes += kPerBatchOp + op.key.size() + op.value.size();
  }
  return bytes;
}

Response Service::ToResponse(Opcode op, const storage::MutationResult& r) {
  using Code = storage::MutationResult::Code;
  switch (r.code) {
    case Code::kOk:
      return op == Opcode::kIncr ? Response::OkValue(r.value, r.version)
                                 : Response::OkVersion(r.version);
    case Code::kNotFound:
      return Response::NotFound();
    case Code::kVersionMismatch:
      return Response::VersionMismatch(r.current_version);
    case Code::kTypeError:
      return Response::Failure(StatusCode::kTypeError, r.message);
    case Code::kIoError:
      return Response::Failure(StatusCode::kIoError, "write not applied: " + r.message);
    case Code::kReadOnly:
      return Response::Failure(StatusCode::kReadOnly, r.message);
  }
  return Response::Failure(StatusCode::kIoError, "unknown storage result");
}

std::string Service::StatsJson() const {
  const storage::DbStats db = db_->Stats();
  const Writer::Stats writer = writer_->stats();
  nlohmann::json j;
  j["keys"] = db.keys;
  j["last_version"] = db.last_version;
  j["shards"] = db.shards;
  j["connections"] = counters_.connections.load();
  j["fsync_policy"] = config_.fsync;
  j["uptime_seconds"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  j["read_only"] = db.read_only;
  j["snapshot_version"] = db.snapshot_version;
  j["log_segments"] = db.log_segments;
  j["log_bytes"] = db.log_bytes;
  j["log_bytes_since_snapshot"] = db.log_bytes_since_snapshot;
  j["key_bytes"] = db.key_bytes;
  j["value_bytes"] = db.value_bytes;
  j["index_bytes"] = db.index_bytes;
  j["connections_total"] = counters_.connections_total.load();
  j["connections_rejected"] = counters_.connections_rejected.load();
  j["requests"] = counters_.requests.load();
  j["reads"] = counters_.reads.load();
  j["writes"] = counters_.writes.load();
  j["errors"] = counters_.errors.load();
  j["protocol_errors"] = counters_.protocol_errors.load();
  j["write_groups"] = writer.groups;
  j["writes_committed"] = writer.mutations;
  j["log_syncs"] = db.log_syncs;
  j["writer_queue_bytes"] = writer_->queued_bytes();
  return j.dump();
}

}  // namespace cairn::server
