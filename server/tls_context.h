// TlsContextStore: the server's TLS configuration (certificate chain,
// private key, CA for client certificates, TLS 1.2 at least) as an
// asio::ssl::context, built from the files named by --tls-cert-file,
// --tls-key-file and --tls-ca-cert-file, and rebuilt from them on Reload
// (SIGHUP). A connection takes Current() when it is accepted and keeps that
// context for its whole life, so a reload never touches open connections.
// Every failure is a message naming the flag and the file, with OpenSSL's
// reason; a failed Reload keeps the context it had.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "server/asio.h"
#include "server/tls_config.h"

// clang-format off
#include <boost/asio/ssl.hpp>
// clang-format on

namespace cairn::server {

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string ca_cert_file;  // empty: client certificates are not verified
  TlsClientAuth client_auth = TlsClientAuth::kNone;
};

class TlsContextStore {
 public:
  // Builds the first context. False with *error set when a file cannot be
  // read or parsed, or the key does not match the certificate.
  bool Init(TlsFiles files, std::string* error);

  // Builds a new context from the same files; on success it replaces the
  // current one for connections accepted from now on. On failure the
  // current one stays and *error says why.
  bool Reload(std::string* error);

  // REQUIRES: Init succeeded.
  std::shared_ptr<boost::asio::ssl::context> Current() const;

  const TlsFiles& files() const { return files_; }

 private:
  TlsFiles files_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

// The SHA-256 fingerprint of the certificate in the PEM file `cert_file`,
// as "AB:CD:..."; empty when it cannot be read. For log lines.
std::string CertificateFingerprint(const std::string& cert_file);

}  // namespace cairn::server
