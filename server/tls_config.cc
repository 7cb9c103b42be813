#include "server/tls_config.h"

#include <cassert>

namespace cairn::server {

TlsClientAuth ClientAuthOf(const Config& config) {
  if (config.tls_auth_clients == "yes") return TlsClientAuth::kRequired;
  if (config.tls_auth_clients == "optional") return TlsClientAuth::kOptional;
  assert(config.tls_auth_clients == "no");
  return TlsClientAuth::kNone;
}

std::string ValidateTlsConfig(const Config& c, const SettingName& name) {
  if (c.tls_port > 65535) return name("tls_port") + " must be at most 65535";
  if (c.port == 0 && c.tls_port == 0) {
    return name("port") + " and " + name("tls_port") +
           " are both 0: cairnd would not listen at all";
  }
  if (c.tls_port != 0 && c.tls_port == c.port) {
    return name("port") + " and " + name("tls_port") + " must differ";
  }
  if (c.tls_auth_clients != "yes" && c.tls_auth_clients != "no" &&
      c.tls_auth_clients != "optional") {
    return name("tls_auth_clients") + " must be yes, no or optional, not \"" + c.tls_auth_clients +
           "\"";
  }
  if (c.tls_port == 0) return "";
  if (c.tls_cert_file.empty()) return name("tls_port") + " needs " + name("tls_cert_file");
  if (c.tls_key_file.empty()) return name("tls_port") + " needs " + name("tls_key_file");
  if (c.tls_auth_clients != "no" && c.tls_ca_cert_file.empty()) {
    return name("tls_auth_clients") + " " + c.tls_auth_clients + " needs " +
           name("tls_ca_cert_file") + " to verify client certificates (or set " +
           name("tls_auth_clients") + " no)";
  }
  return "";
}

}  // namespace cairn::server
