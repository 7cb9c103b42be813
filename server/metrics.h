// Metrics: the server's state in the Prometheus text exposition format
// (version 0.0.4), for GET /metrics (metrics_server.h). Names follow
// Prometheus conventions: a cairn_ prefix, base units (seconds, bytes),
// counters ending in _total, histograms as _bucket/_sum/_count. The values
// are the ones STATS reports, read at the same moment per source.
#pragma once

#include <string>

#include "server/service.h"
#include "server/writer.h"
#include "storage/db.h"

namespace cairn::server {

// The exposition text; thread-safe (every source is).
std::string RenderMetrics(const Service& service, const storage::DB& db, const Writer& writer);

}  // namespace cairn::server
