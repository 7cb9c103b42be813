#include "server/metrics.h"

#include <spdlog/fmt/fmt.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

namespace cairn::server {
namespace {

class Exposition {
 public:
  void Counter(std::string_view name, std::string_view help, uint64_t value) {
    Header(name, help, "counter");
    out_ += fmt::format("{} {}\n", name, value);
  }

  void Gauge(std::string_view name, std::string_view help, double value) {
    Header(name, help, "gauge");
    out_ += fmt::format("{} {}\n", name, value);
  }

  void Histogram(std::string_view name, std::string_view help,
                 const storage::Histogram::Snapshot& h) {
    Header(name, help, "histogram");
    for (size_t i = 0; i < h.bounds.size(); ++i) {
      out_ += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, h.bounds[i], h.cumulative[i]);
    }
    out_ += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, h.count);
    out_ += fmt::format("{}_sum {}\n{}_count {}\n", name, h.sum, name, h.count);
  }

  std::string Take() { return std::move(out_); }

 private:
  void Header(std::string_view name, std::string_view help, std::string_view type) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }

  std::string out_;
};

// Resident set size from /proc/self/statm (its second field, in pages).
double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

std::string RenderMetrics(const Service& service, const storage::DB& db, const Writer& writer) {
  const storage::DbStats stats = db.Stats();
  const Writer::Stats writes = writer.stats();
  const ServiceCounters& c = service.counters();
  Exposition e;
  e.Counter("cairn_requests_total", "Requests received, in either mode.", c.requests.load());
  e.Counter("cairn_reads_total", "Read requests (GET, SCAN, PING, STATS).", c.reads.load());
  e.Counter("cairn_writes_total", "Write requests received.", c.writes.load());
  e.Counter("cairn_errors_total", "Requests answered with an error status.", c.errors.load());
  e.Counter("cairn_protocol_errors_total", "Malformed requests and frames.",
            c.protocol_errors.load());
  e.Gauge("cairn_connections", "Connections open now.", static_cast<double>(c.connections.load()));
  e.Counter("cairn_connections_accepted_total", "Connections accepted.",
            c.connections_total.load());
  e.Counter("cairn_connections_refused_total", "Connections refused (max connections).",
            c.connections_rejected.load());
  e.Counter("cairn_write_groups_total", "Groups the writer committed.", writes.groups);
  e.Counter("cairn_writes_committed_total", "Writes the writer committed (OK or not).",
            writes.mutations);
  e.Gauge("cairn_writer_queue_bytes", "Bytes of writes waiting for the writer.",
          static_cast<double>(writer.queued_bytes()));
  e.Histogram("cairn_write_group_writes", "Writes per committed group.", writer.group_writes());
  e.Histogram("cairn_write_group_bytes", "Bytes of writes per committed group.",
              writer.group_bytes());
  e.Histogram("cairn_commit_seconds",
              "From a write's arrival at the writer to the end of its group's commit.",
              writer.commit_seconds());
  e.Counter("cairn_log_syncs_total", "fdatasync calls on the log.", stats.log_syncs);
  e.Histogram("cairn_log_fdatasync_seconds", "Duration of each fdatasync of the log.",
              stats.log_sync_seconds);
  e.Gauge("cairn_keys", "Keys stored.", static_cast<double>(stats.keys));
  e.Gauge("cairn_last_version", "Newest committed version.",
          static_cast<double>(stats.last_version));
  e.Gauge("cairn_snapshot_version", "Lowest version every shard's snapshot covers.",
          static_cast<double>(stats.snapshot_version));
  e.Gauge("cairn_log_segments", "Log segment files.", static_cast<double>(stats.log_segments));
  e.Gauge("cairn_log_bytes", "Bytes in all log segments.", static_cast<double>(stats.log_bytes));
  e.Gauge("cairn_log_bytes_since_snapshot", "Log bytes written since the last snapshot.",
          static_cast<double>(stats.log_bytes_since_snapshot));
  e.Gauge("cairn_key_bytes", "Bytes of all keys.", static_cast<double>(stats.key_bytes));
  e.Gauge("cairn_value_bytes", "Bytes of all values.", static_cast<double>(stats.value_bytes));
  e.Gauge("cairn_index_bytes", "Heap the index holds, keys and values included.",
          static_cast<double>(stats.index_bytes));
  e.Gauge("cairn_read_only", "1 once a failed sync made the store refuse writes.",
          stats.read_only ? 1 : 0);
  e.Gauge(
      "cairn_uptime_seconds", "Seconds since cairnd started serving.",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - service.started()).count());
  e.Gauge("process_resident_memory_bytes", "Resident memory of the cairnd process.",
          ResidentBytes());
  return e.Take();
}

}  // namespace cairn::server
