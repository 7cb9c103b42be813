// cairnd: the Cairn server. Parses its configuration, recovers the data
// directory, and serves until SIGTERM or SIGINT (a second one exits at once).
// SIGHUP reloads the TLS certificate and key.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "server/asio.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/file_limit.h"
#include "server/listener.h"
#include "server/logging.h"
#include "server/memory_trimmer.h"
#include "server/metrics.h"
#include "server/metrics_server.h"
#include "server/server.h"
#include "server/service.h"
#include "server/snapshotter.h"
#include "server/tls_config.h"
#include "server/tls_context.h"
#include "server/writer.h"
#include "storage/db.h"

namespace cairn::server {
namespace {

constexpr int kExitStartupFailure = 1;
constexpr int kExitCheckFoundDamage = 2;
constexpr int kExitCheckFoundNoData = 3;

// One network thread per core but one: the writer thread keeps a core busy
// under write load. On 2 cores, 1 network thread served 1.2-1.9x the GETs
// and PUTs of 2 (cairn-bench -c 50 -P 16, fsync never; docs/benchmarks.md).
uint32_t DefaultIoThreads(uint32_t cores) { return cores > 1 ? cores - 1 : 1; }
// Free heap above this is handed back to the system, checked this often.
constexpr auto kTrimPeriod = std::chrono::seconds(1);
constexpr uint64_t kTrimThresholdBytes = 4 << 20;

storage::Options StorageOptions(const Config& config) {
  storage::Options options;
  options.shards = config.shards;
  options.segment_bytes = config.segment_bytes;
  options.recovery = config.recovery == "point-in-time" ? storage::RecoveryMode::kPointInTime
                                                        : storage::RecoveryMode::kStrict;
  options.sync_policy = config.fsync == "interval" ? storage::SyncPolicy::kPeriodic
                        : config.fsync == "never"  ? storage::SyncPolicy::kNone
                                                   : storage::SyncPolicy::kEveryCommit;
  options.sync_period = std::chrono::milliseconds(config.fsync_interval_ms);
  return options;
}

bool WritePortFile(const std::string& path, uint16_t port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

bool IsLoopbackAddress(const std::string& address) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(address, ec);
  return !ec && IsLoopback(ip);
}

// "ADDR:PORT", "ADDR:PORT and ADDR:TLS_PORT (TLS)" or "ADDR:TLS_PORT (TLS)".
std::string Listening(const std::string& bind, uint16_t port, uint16_t tls_port) {
  std::string plain = port != 0 ? bind + ":" + std::to_string(port) : "";
  if (tls_port == 0) return plain;
  const std::string tls = bind + ":" + std::to_string(tls_port) + " (TLS)";
  return plain.empty() ? tls : plain + " and " + tls;
}

// SIGHUP: new TLS connections get the files' current certificate and key;
// open ones keep theirs. A failure keeps the previous ones.
void ReloadTls(const Config& config, TlsContextStore* tls) {
  if (config.tls_port == 0) {
    spdlog::info("received SIGHUP: TLS is off (--tls-port 0), nothing to reload");
    return;
  }
  std::string error;
  if (!tls->Reload(&error)) {
    spdlog::error("received SIGHUP: TLS reload failed, keeping the previous certificate: {}",
                  error);
    return;
  }
  spdlog::info("received SIGHUP: TLS certificate {} (SHA-256 {}) and key {} reloaded",
               config.tls_cert_file, CertificateFingerprint(config.tls_cert_file),
               config.tls_key_file);
}

int RunCheck(const Config& config) {
  std::string report;
  storage::Status s = storage::DB::Check(StorageOptions(config), config.data_dir, &report);
  std::cout << report;
  if (s.IsCorruption()) {
    std::cout << "DAMAGED: " << s.ToString() << "\n";
    return kExitCheckFoundDamage;
  }
  if (s.IsNotFound()) {
    std::cout << "NOT FOUND: " << s.message() << "\n";
    return kExitCheckFoundNoData;
  }
  if (!s.ok()) {
    // An error, not a finding: stderr, like every other refusal.
    std::cout.flush();
    std::cerr << "cairnd: cannot check " << config.data_dir << ": " << s.ToString() << "\n";
    return kExitStartupFailure;
  }
  std::cout << "OK: " << config.data_dir << " would open cleanly\n";
  return 0;
}

// Raises the open-file limit and lowers max_connections, with a warning,
// when the connections would not fit under it.
void FitConnectionsToFileLimit(Config* config) {
  std::string warning;
  const uint64_t files = RaiseOpenFileLimit(&warning);
  if (!warning.empty()) spdlog::warn("{}", warning);
  if (files == 0 || config->max_connections + kFilesNotForConnections <= files) return;
  const uint64_t fit = files > kFilesNotForConnections + 1 ? files - kFilesNotForConnections : 1;
  spdlog::warn(
      "--max-connections {} does not fit the open-file limit of {} (and {} files for the rest); "
      "serving at most {} connections. Raise the limit (ulimit -n, LimitNOFILE=) to serve more.",
      config->max_connections, files, kFilesNotForConnections, fit);
  config->max_connections = static_cast<uint32_t>(fit);
}

int Serve(Config config) {
  FitConnectionsToFileLimit(&config);
  std::string error;
  TokenVerifier auth;
  if (!config.auth_token_file.empty()) {
    std::string token;
    std::string warning;
    if (!ReadTokenFile(config.auth_token_file, &token, &warning, &error) ||
        !auth.Init(token, &error)) {
      spdlog::error("{}", error);
      return kExitStartupFailure;
    }
    if (!warning.empty()) spdlog::warn("{}", warning);
  }
  const bool auth_on = auth.configured();
  if (!auth_on && !IsLoopbackAddress(config.bind)) {
    if (config.protected_mode == "yes") {
      spdlog::warn(
          "listening on {} without an auth token, in protected mode: only clients on loopback "
          "are served. Set --auth-token-file to serve others.",
          config.bind);
    } else {
      spdlog::warn(
          "listening on {} without an auth token and with --protected-mode no: anyone who can "
          "reach this address can read and write every key. Set --auth-token-file.",
          config.bind);
    }
  }

  TlsContextStore tls;
  if (config.tls_port != 0 && !tls.Init(TlsFiles{config.tls_cert_file, config.tls_key_file,
                                                 config.tls_ca_cert_file, ClientAuthOf(config)},
                                        &error)) {
    spdlog::error("{}", error);
    return kExitStartupFailure;
  }

  std::unique_ptr<storage::DB> db;
  storage::Status s = storage::DB::Open(StorageOptions(config), config.data_dir, &db);
  if (!s.ok()) {
    spdlog::error("cannot open data directory {}: {}", config.data_dir, s.ToString());
    return kExitStartupFailure;
  }
  boost::asio::io_context io;
  Writer writer(db.get(), config.max_writer_queue_bytes,
                [&io](std::function<void()> work) { boost::asio::post(io, std::move(work)); });
  Service service(config, db.get(), &writer, std::move(auth));
  Snapshotter snapshotter(db.get(), config.snapshot_every_bytes);
  MemoryTrimmer trimmer(kTrimPeriod, kTrimThresholdBytes);

  Server server(io, &service, &writer, &snapshotter);
  if ((config.port != 0 &&
       !server.Listen(config.bind, static_cast<uint16_t>(config.port), &error)) ||
      (config.tls_port != 0 &&
       !server.ListenTls(config.bind, static_cast<uint16_t>(config.tls_port), &tls, &error))) {
    spdlog::error("{}", error);
    writer.Stop();
    return kExitStartupFailure;
  }
  // Stopped before the store closes (below): it reads the store.
  MetricsServer metrics([&] { return RenderMetrics(service, *db, writer); });
  if (config.metrics_port != 0 &&
      !metrics.Listen(config.metrics_bind, static_cast<uint16_t>(config.metrics_port), &error)) {
    spdlog::error("{}", error);
    writer.Stop();
    return kExitStartupFailure;
  }
  server.Start();
  if (config.metrics_port != 0) {
    metrics.Start();
    spdlog::info("metrics at http://{}:{}/metrics", config.metrics_bind, metrics.port());
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("received signal {}: shutting down (send it again to exit at once)", signo);
    signals.async_wait([](const boost::system::error_code& e, int again) {
      if (e) return;
      spdlog::warn("second signal {}: exiting at once", again);
      spdlog::default_logger()->flush();
      _exit(128 + again);
    });
    server.BeginShutdown([&io] { io.stop(); });
  });
  boost::asio::signal_set reload_signal(io, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      ReloadTls(config, &tls);
      await_reload();
    });
  };
  await_reload();

  const uint32_t threads = config.io_threads > 0
                               ? config.io_threads
                               : DefaultIoThreads(std::thread::hardware_concurrency());
  const storage::DbStats stats = db->Stats();
  spdlog::info(
      "cairnd listening on {} (data_dir={} shards={} fsync={} fsync_interval_ms={} "
      "io_threads={} max_connections={} max_key_bytes={} max_value_bytes={} "
      "max_frame_bytes={} idle_timeout_s={} frame_timeout_ms={} write_timeout_ms={} auth={} "
      "auth_timeout_ms={} max_unauthenticated_connections={} protected_mode={} "
      "snapshot_every_bytes={} segment_bytes={} recovery={} log_level={} log_format={}); "
      "{} keys at version {}",
      Listening(config.bind, server.port(), server.tls_port()), config.data_dir, config.shards,
      config.fsync, config.fsync_interval_ms, threads, config.max_connections, config.max_key_bytes,
      config.max_value_bytes, config.max_frame_bytes, config.idle_timeout_s,
      config.frame_timeout_ms, config.write_timeout_ms, auth_on ? "on" : "off",
      config.auth_timeout_ms, config.max_unauthenticated_connections, config.protected_mode,
      config.snapshot_every_bytes, config.segment_bytes, config.recovery, config.log_level,
      config.log_format, stats.keys, stats.last_version);
  // The plain port, or the TLS port when there is no plain one.
  const uint16_t port_to_report = server.port() != 0 ? server.port() : server.tls_port();
  if (!config.port_file.empty() && !WritePortFile(config.port_file, port_to_report)) {
    spdlog::error("cannot write --port-file {}", config.port_file);
    return kExitStartupFailure;
  }

  std::vector<std::thread> pool;
  for (uint32_t i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : pool) t.join();
  server.CloseConnections();
  metrics.Stop();

  trimmer.Stop();
  snapshotter.Stop();
  writer.Stop();
  const storage::DbStats final_stats = db->Stats();
  db.reset();
  spdlog::info("cairnd stopped cleanly: {} keys at version {}, log synced", final_stats.keys,
               final_stats.last_version);
  return 0;
}

}  // namespace
}  // namespace cairn::server

int main(int argc, char** argv) {
  using namespace cairn::server;
  Config config;
  int exit_code = 0;
  if (ParseConfig(argc, argv, &config, &exit_code) == ParseOutcome::kExit) return exit_code;
  SetupLogging(config.log_level, config.log_format);
  if (config.check) return RunCheck(config);
  // A client that vanishes mid-write must not kill the server.
  signal(SIGPIPE, SIG_IGN);
  return Serve(config);
}
