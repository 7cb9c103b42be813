// Config: cairnd's settings, from the command line (CLI11) and an optional
// JSON file (--config). A flag given on the command line wins over the file;
// the file wins over the defaults. Any error in the file (unreadable, a
// directory, a JSON syntax error with its line and column, an unknown key,
// a value of the wrong type or out of range) stops startup with one line on
// stderr naming the file, and the key as the file spells it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "protocol/request.h"

namespace cairn::server {

struct Config {
  std::string bind = "127.0.0.1";
  uint32_t port = 7070;   // 0: no plaintext listener
  uint32_t tls_port = 0;  // 0: no TLS listener
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_cert_file;
  std::string tls_auth_clients = "yes";  // yes | no | optional
  std::string data_dir = "./data";
  uint32_t shards = 8;
  std::string fsync = "always";  // always | interval | never
  uint32_t fsync_interval_ms = 1000;
  uint32_t io_threads = 0;  // 0: one per core
  uint32_t max_connections = 10000;
  uint32_t max_key_bytes = protocol::Limits{}.max_key_bytes;
  uint32_t max_value_bytes = protocol::Limits{}.max_value_bytes;
  uint32_t max_frame_bytes = protocol::Limits{}.max_frame_bytes;
  uint32_t idle_timeout_s = 0;        // 0: idle connections stay open
  uint32_t frame_timeout_ms = 10000;  // a request's deadline from its first byte
  uint32_t write_timeout_ms = 30000;  // answers waiting that long without progress: close
  std::string auth_token_file;
  uint32_t auth_timeout_ms = 10000;  // with a token: time from accept to AUTH
  uint32_t max_unauthenticated_connections = 1024;
  std::string protected_mode = "yes";            // yes: without a token, serve loopback peers only
  uint64_t snapshot_every_bytes = 256ull << 20;  // 0: only on SNAPSHOT
  uint64_t segment_bytes = 64ull << 20;
  uint64_t max_pending_bytes_per_connection = 64ull << 20;
  uint64_t max_writer_queue_bytes = 256ull << 20;
  std::string recovery = "strict";  // strict | point-in-time
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  std::string port_file;            // written with the bound port once listening
  uint32_t metrics_port = 0;        // GET /metrics over HTTP; 0: off
  std::string metrics_bind = "127.0.0.1";
  bool check = false;  // verify the data directory and exit
};

enum class ParseOutcome { kRun, kExit };

// Fills *config from argv (and the file it names). On kExit, *exit_code is
// what the process returns (0 after --help, 1 after an error, which has been
// printed to stderr).
ParseOutcome ParseConfig(int argc, char** argv, Config* config, int* exit_code);

// How a message names a setting, given its JSON key ("fsync_interval_ms").
using SettingName = std::function<std::string(const std::string& key)>;
// The command-line flag of a key: "--fsync-interval-ms".
std::string FlagName(const std::string& key);

// Checks relations between settings; empty when they are consistent, else
// one message that names the settings through `name`.
std::string ValidateConfig(const Config& config, const SettingName& name = FlagName);

}  // namespace cairn::server
