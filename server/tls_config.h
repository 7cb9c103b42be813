// The TLS settings of Config (--tls-port, --tls-cert-file, --tls-key-file,
// --tls-ca-cert-file, --tls-auth-clients) and the rules between them and
// --port, checked with the other settings at startup. Whether the files
// hold a usable certificate and key is TlsContextStore's business (it reads
// them).
#pragma once

#include <string>

#include "server/config.h"

namespace cairn::server {

// How a TLS connection's client certificate is treated.
enum class TlsClientAuth {
  kRequired,  // "yes": no certificate signed by the CA, no connection
  kOptional,  // "optional": verified against the CA when the client sends one
  kNone,      // "no": never asked for
};

// REQUIRES: config.tls_auth_clients passed ValidateTlsConfig.
TlsClientAuth ClientAuthOf(const Config& config);

// The first rule the TLS settings break, named through `name`; empty when
// none: at least one of --port and --tls-port is set; --tls-port needs a
// certificate and a key; --tls-auth-clients is yes, no or optional, and yes
// and optional need --tls-ca-cert-file (as Redis's tls-auth-clients).
std::string ValidateTlsConfig(const Config& config, const SettingName& name);

}  // namespace cairn::server
