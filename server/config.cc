#include "server/config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "cairn/version.h"
#include "server/tls_config.h"

namespace cairn::server {

namespace {

using Json = nlohmann::json;

// Applies a file value to a setting the command line did not set; returns an
// error message, empty on success.
using FileSetter = std::function<std::string(const Json&)>;

class Binder {
 public:
  explicit Binder(CLI::App* app) : app_(app) {}

  template <typename T>
  void Bind(const std::string& name, T* field, const std::string& help) {
    CLI::Option* option = app_->add_option("--" + name, *field, help)->capture_default_str();
    std::string key = name;
    std::replace(key.begin(), key.end(), '-', '_');
    setters_[key] = [option, field, key](const Json& value) -> std::string {
      if constexpr (std::is_same_v<T, std::string>) {
        if (!value.is_string()) return "config key \"" + key + "\" must be a string";
        if (option->count() == 0) *field = value.get<std::string>();
      } else {
        if (!value.is_number_unsigned() || value.get<uint64_t>() > std::numeric_limits<T>::max()) {
          return "config key \"" + key + "\" must be a whole number from 0 to " +
                 std::to_string(std::numeric_limits<T>::max());
        }
        if (option->count() == 0) *field = value.get<T>();
      }
      return "";
    };
  }

  // Records the keys it applied, so that later messages name them as the
  // file's keys (see Name).
  std::string ApplyFile(const std::string& path) {
    std::string text;
    std::string error = ReadConfigFile(path, &text);
    if (!error.empty()) return error;
    Json doc;
    try {
      doc = Json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const Json::parse_error& e) {
      return "config file " + path + ": " + LineAndColumn(text, e.byte) + ": " +
             SyntaxErrorDetail(e.what());
    }
    if (!doc.is_object()) return "config file " + path + " is not a JSON object";
    for (const auto& [key, value] : doc.items()) {
      auto it = setters_.find(key);
      if (it == setters_.end()) {
        error = "unknown config key \"" + key + "\" in " + path;
        const std::string suggestion = NearestKey(key);
        if (!suggestion.empty()) error += " (did you mean \"" + suggestion + "\"?)";
        return error;
      }
      error = it->second(value);
      if (!error.empty()) return error + " (in " + path + ")";
      from_file_.insert(key);
    }
    path_ = path;
    return "";
  }

  // How a message names the setting `key`: as the file's key when the value
  // came from the file, as the flag otherwise, so the user edits the right
  // place.
  std::string Name(const std::string& key) const {
    if (from_file_.count(key) > 0) return "config key \"" + key + "\" (in " + path_ + ")";
    return FlagName(key);
  }

 private:
  // The whole file, or an error naming it. Read up front (not parsed from
  // the stream) because reading a directory throws from inside the stream.
  static std::string ReadConfigFile(const std::string& path, std::string* text) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return "config file " + path + " is a directory, not a file";
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot read config file " + path;
    try {
      in.exceptions(std::ios::badbit);
      std::ostringstream content;
      content << in.rdbuf();
      *text = content.str();
    } catch (const std::ios_base::failure&) {
      return "cannot read config file " + path;
    }
    return "";
  }

  // nlohmann reports the count of bytes read up to the error (so the column
  // is that of the last character of the offending token); people look for
  // a line and a column.
  static std::string LineAndColumn(const std::string& text, size_t byte) {
    const size_t end = std::min(byte, text.size());
    size_t line = 1;
    size_t column = 0;
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 0;
      } else {
        ++column;
      }
    }
    return "line " + std::to_string(line) + ", column " +
           std::to_string(std::max<size_t>(column, 1));
  }

  // The reason from nlohmann's message, without its own prefix and position
  // ("[json.exception.parse_error.101] parse error at line 3, column 1: "),
  // e.g. "syntax error while parsing object key - unexpected '}'; ...".
  static std::string SyntaxErrorDetail(const std::string& what) {
    const size_t at = what.find("syntax error");
    return at == std::string::npos ? what : what.substr(at);
  }

  // The known key a misspelt one most likely meant: the same up to case and
  // '-' for '_', or at most two edits away. Empty when none is that close.
  std::string NearestKey(const std::string& key) const {
    std::string normal = key;
    for (char& c : normal) c = c == '-' ? '_' : static_cast<char>(std::tolower(c));
    std::string best;
    size_t best_distance = 3;
    for (const auto& [known, setter] : setters_) {
      const size_t distance = EditDistance(normal, known);
      if (distance < best_distance) {
        best = known;
        best_distance = distance;
      }
    }
    return best;
  }

  static size_t EditDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
        diagonal = above;
      }
    }
    return row[b.size()];
  }

  CLI::App* app_;
  std::map<std::string, FileSetter> setters_;
  std::set<std::string> from_file_;
  std::string path_;
};

}  // namespace

ParseOutcome ParseConfig(int argc, char** argv, Config* config, int* exit_code) {
  CLI::App app("cairnd: the Cairn durable key-value server");
  Binder b(&app);
  std::string config_file;
  app.add_option("--config", config_file, "JSON file of settings (keys as the flags, with _)");
  b.Bind("bind", &config->bind, "address to listen on");
  b.Bind("port", &config->port, "TCP port (0: no plaintext listener)");
  b.Bind("tls-port", &config->tls_port, "TLS port on the same address (0: off)");
  b.Bind("tls-cert-file", &config->tls_cert_file, "server certificate chain (PEM)");
  b.Bind("tls-key-file", &config->tls_key_file, "private key of --tls-cert-file (PEM)");
  b.Bind("tls-ca-cert-file", &config->tls_ca_cert_file, "CA certificates for client certificates");
  b.Bind("tls-auth-clients", &config->tls_auth_clients,
         "client certificates: yes (required) | optional | no");
  b.Bind("data-dir", &config->data_dir, "data directory");
  b.Bind("shards", &config->shards, "index shards (changing it between restarts is fine)");
  b.Bind("fsync", &config->fsync, "durability policy: always | interval | never");
  b.Bind("fsync-interval-ms", &config->fsync_interval_ms, "sync period under --fsync interval");
  b.Bind("io-threads", &config->io_threads,
         "network threads (0: one per core but one, left to the writer; at least 1)");
  b.Bind("max-connections", &config->max_connections, "connections served at once");
  b.Bind("max-key-bytes", &config->max_key_bytes, "largest key");
  b.Bind("max-value-bytes", &config->max_value_bytes, "largest value");
  b.Bind("max-frame-bytes", &config->max_frame_bytes, "largest frame body (and text line)");
  b.Bind("idle-timeout-s", &config->idle_timeout_s, "close connections idle this long (0: never)");
  b.Bind("frame-timeout-ms", &config->frame_timeout_ms,
         "close a connection whose request is not whole this long after its first byte");
  b.Bind("write-timeout-ms", &config->write_timeout_ms,
         "close a connection whose answers wait this long without the client taking a byte");
  b.Bind("auth-token-file", &config->auth_token_file,
         "file holding the token clients must AUTH with (never on the command line)");
  b.Bind("auth-timeout-ms", &config->auth_timeout_ms,
         "with a token: close a connection that has not authenticated this long after accept");
  b.Bind("max-unauthenticated-connections", &config->max_unauthenticated_connections,
         "with a token: past this many connections yet to AUTH, the oldest is closed");
  b.Bind("protected-mode", &config->protected_mode,
         "yes: without a token, refuse clients that are not on loopback | no");
  b.Bind("snapshot-every-bytes", &config->snapshot_every_bytes,
         "snapshot automatically once the log grew this much (0: only on SNAPSHOT)");
  b.Bind("segment-bytes", &config->segment_bytes, "start a new log segment past this size");
  b.Bind("max-pending-bytes-per-connection", &config->max_pending_bytes_per_connection,
         "stop reading from a connection with this much work in flight");
  b.Bind("max-writer-queue-bytes", &config->max_writer_queue_bytes,
         "stop reading from writing connections while the writer holds this much");
  b.Bind("recovery", &config->recovery, "damage handling at startup: strict | point-in-time");
  b.Bind("log-level", &config->log_level, "debug | info | warn | error");
  b.Bind("log-format", &config->log_format, "text | json");
  b.Bind("port-file", &config->port_file, "write the bound port here once listening");
  b.Bind("metrics-port", &config->metrics_port,
         "serve Prometheus metrics at http://METRICS_BIND:PORT/metrics (0: off; 9187 is usual)");
  b.Bind("metrics-bind", &config->metrics_bind,
         "address of the metrics listener (no auth on it: keep it private)");
  app.set_version_flag("--version", std::string("cairnd ") + kVersion,
                       "Print the version and exit");
  app.add_flag("--check", config->check,
               "verify the data directory without changing it, print a report, exit "
               "(0 healthy, 2 damaged, 3 not a Cairn data directory)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the help or the error; its error codes are its own, ours
    // is 1 for every startup failure.
    *exit_code = app.exit(e) == 0 ? 0 : 1;
    return ParseOutcome::kExit;
  }
  std::string error;
  if (!config_file.empty()) error = b.ApplyFile(config_file);
  if (error.empty()) {
    error = ValidateConfig(*config, [&b](const std::string& key) { return b.Name(key); });
  }
  if (!error.empty()) {
    std::cerr << "cairnd: " << error << "\n";
    *exit_code = 1;
    return ParseOutcome::kExit;
  }
  return ParseOutcome::kRun;
}

std::string FlagName(const std::string& key) {
  std::string flag = "--" + key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string ValidateConfig(const Config& c, const SettingName& name) {
  boost::system::error_code bad_address;
  boost::asio::ip::make_address(c.bind, bad_address);
  if (bad_address) return name("bind") + " must be an IP address, not \"" + c.bind + "\"";
  if (c.port > 65535) return name("port") + " must be at most 65535";
  if (std::string tls = ValidateTlsConfig(c, name); !tls.empty()) return tls;
  if (c.metrics_port > 65535) return name("metrics-port") + " must be at most 65535";
  boost::asio::ip::make_address(c.metrics_bind, bad_address);
  if (bad_address) {
    return name("metrics-bind") + " must be an IP address, not \"" + c.metrics_bind + "\"";
  }
  if (c.shards == 0 || c.shards > 4096) return name("shards") + " must be from 1 to 4096";
  if (c.fsync != "always" && c.fsync != "interval" && c.fsync != "never") {
    return name("fsync") + " must be always, interval or never, not \"" + c.fsync + "\"";
  }
  if (c.recovery != "strict" && c.recovery != "point-in-time") {
    return name("recovery") + " must be strict or point-in-time, not \"" + c.recovery + "\"";
  }
  if (c.log_format != "text" && c.log_format != "json") {
    return name("log_format") + " must be text or json, not \"" + c.log_format + "\"";
  }
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error") {
    return name("log_level") + " must be debug, info, warn or error, not \"" + c.log_level + "\"";
  }
  if (c.fsync_interval_ms == 0) return name("fsync_interval_ms") + " must be at least 1";
  if (c.max_connections == 0) return name("max_connections") + " must be at least 1";
  if (c.frame_timeout_ms == 0) return name("frame_timeout_ms") + " must be at least 1";
  if (c.write_timeout_ms == 0) return name("write_timeout_ms") + " must be at least 1";
  if (c.auth_timeout_ms == 0) return name("auth_timeout_ms") + " must be at least 1";
  if (c.max_unauthenticated_connections == 0) {
    return name("max_unauthenticated_connections") + " must be at least 1";
  }
  if (c.protected_mode != "yes" && c.protected_mode != "no") {
    return name("protected_mode") + " must be yes or no, not \"" + c.protected_mode + "\"";
  }
  // A GET or SCAN answer carries one key and value plus framing.
  const uint64_t needed = uint64_t{c.max_key_bytes} + c.max_value_bytes + 64;
  if (c.max_frame_bytes < needed) {
    return name("max_frame_bytes") + " (" + std::to_string(c.max_frame_bytes) +
           ") must be at least " + name("max_key_bytes") + " + " + name("max_value_bytes") +
           " + 64 (" + std::to_string(needed) + ")";
  }
  // The log's records are limited to 1 GiB; a BATCH record holds at most a
  // frame's worth of keys and values.
  if (c.max_frame_bytes > (1u << 30) - (1u << 20)) {
    return name("max_frame_bytes") + " must be at most 1072693248 (1 GiB - 1 MiB)";
  }
  if (c.segment_bytes < 4096) return name("segment_bytes") + " must be at least 4096";
  return "";
}

}  // namespace cairn::server
