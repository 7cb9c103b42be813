// The request of every Client call, built from typed arguments. Client uses
// them for its calls; use them yourself to queue requests on a Pipeline
// (pipeline.h) and read the answers with the functions of reply.h.
#pragma once

#include <cstdint>
#include <string_view>

#include "client/write_batch.h"
#include "protocol/request.h"

namespace cairn {

protocol::Request PingRequest();
protocol::Request GetRequest(std::string_view key);
protocol::Request PutRequest(std::string_view key, std::string_view value);
protocol::Request DelRequest(std::string_view key);
// Deletes only if the key's current version is expected_version.
protocol::Request DelRequest(std::string_view key, uint64_t expected_version);
// expected_version 0 means "only if absent".
protocol::Request CasRequest(std::string_view key, uint64_t expected_version,
                             std::string_view value);
protocol::Request IncrRequest(std::string_view key, int64_t delta);
protocol::Request BatchRequest(const WriteBatch& batch);
// end empty: no upper bound; limit 0: the server's default page size.
protocol::Request ScanRequest(std::string_view start, std::string_view end, uint32_t limit);
protocol::Request StatsRequest();
protocol::Request SnapshotRequest();
protocol::Request AuthRequest(std::string_view token);

}  // namespace cairn
