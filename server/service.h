// Service: what a request means, independent of how it arrived. Reads
// (GET, SCAN, STATS, PING) are answered here from the in-memory shards;
// writes are translated into storage mutations for the Writer and their
// results back into responses. Shared by every connection; thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/request.h"
#include "protocol/response.h"
#include "server/auth.h"
#include "server/config.h"
#include "storage/db.h"
#include "storage/mutation.h"

namespace cairn::server {

class Writer;

struct ServiceCounters {
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> protocol_errors{0};
};

class Service {
 public:
  // auth: not configured when no authentication is configured.
  Service(const Config& config, storage::DB* db, const Writer* writer, TokenVerifier auth);

  const Config& config() const { return config_; }
  const protocol::Limits& limits() const { return limits_; }
  ServiceCounters& counters() { return counters_; }
  const ServiceCounters& counters() const { return counters_; }
  std::chrono::steady_clock::time_point started() const { return started_; }

  bool auth_required() const { return auth_.configured(); }
  // Compares in time that does not depend on the configured token.
  bool TokenMatches(std::string_view candidate) const { return auth_.Matches(candidate); }

  static bool IsWrite(protocol::Opcode op);
  // Answers PING, GET, SCAN and STATS. REQUIRES: !IsWrite, not AUTH/SNAPSHOT.
  protocol::Response ExecuteRead(const protocol::Request& request) const;
  // REQUIRES: IsWrite(request.opcode). Moves the keys and values out.
  static storage::Mutation ToMutation(protocol::Request* request);
  // Bytes a request holds in memory while it waits for the writer.
  static uint64_t PendingBytes(const protocol::Request& request);
  static protocol::Response ToResponse(protocol::Opcode op, const storage::MutationResult& r);

 private:
  std::string StatsJson() const;

  const Config config_;
  const protocol::Limits limits_;
  storage::DB* const db_;
  const Writer* const writer_;
  const TokenVerifier auth_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  mutable ServiceCounters counters_;
};

}  // namespace cairn::server
