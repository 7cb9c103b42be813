// AddTlsFlags: the TLS flags of cairn-cli and cairn-bench, named as
// redis-cli names them (--tls, --cacert, --cert, --key, --sni, --insecure).
// Every flag but --tls needs --tls; --cert and --key need each other.
#pragma once

#include <CLI/CLI.hpp>

#include "client/options.h"

namespace cairn::cli {

inline void AddTlsFlags(CLI::App* app, TlsOptions* tls) {
  CLI::Option* enable =
      app->add_flag("--tls", tls->enabled, "connect with TLS (cairnd --tls-port)");
  app->add_option("--cacert", tls->ca_file,
                  "CA certificates to verify the server with (PEM; default: the system's)")
      ->needs(enable);
  CLI::Option* cert =
      app->add_option("--cert", tls->cert_file, "client certificate (PEM) for --tls-auth-clients")
          ->needs(enable);
  CLI::Option* key = app->add_option("--key", tls->key_file, "private key of --cert (PEM)")
                         ->needs(enable)
                         ->needs(cert);
  cert->needs(key);
  app->add_option("--sni", tls->server_name,
                  "server name to send and to verify the certificate against (default: -h)")
      ->needs(enable);
  app->add_flag_callback(
         "--insecure", [tls] { tls->verify = false; },
         "do not verify the server's certificate (encrypted, but open to a man in the middle)")
      ->needs(enable);
}

}  // namespace cairn::cli
