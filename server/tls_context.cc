#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "common/openssl_errors.h"

namespace cairn::server {

namespace {

namespace ssl = boost::asio::ssl;

// Resumed sessions must carry the same context id as the one they were
// made under, or OpenSSL refuses them when client certificates are verified.
constexpr unsigned char kSessionIdContext[] = "cairnd";

// OpenSSL's reasons for the last failure, or a placeholder when it queued
// none.
std::string FailureReasons() {
  std::string reasons = OpenSslReasons();
  return reasons.empty() ? "unknown OpenSSL error" : reasons;
}

// A readable file; otherwise *error names the flag, the file and errno.
bool Readable(const std::string& flag, const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (in && in.peek() != std::ifstream::traits_type::eof()) return true;
  *error = flag + " " + path + ": " +
           (in ? std::string("empty file") : "cannot read: " + std::string(std::strerror(errno)));
  return false;
}

// An encrypted key must not make cairnd prompt on its terminal: it fails.
int NoPassword(char*, int, int, void*) { return 0; }

std::shared_ptr<ssl::context> Build(const TlsFiles& files, std::string* error) {
  if (!Readable("--tls-cert-file", files.cert_file, error) ||
      !Readable("--tls-key-file", files.key_file, error) ||
      (!files.ca_cert_file.empty() && !Readable("--tls-ca-cert-file", files.ca_cert_file, error))) {
    return nullptr;
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_default_passwd_cb(native, NoPassword);
  if (SSL_CTX_use_certificate_chain_file(native, files.cert_file.c_str()) != 1) {
    *error = "--tls-cert-file " + files.cert_file + ": " + FailureReasons();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(native, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = "--tls-key-file " + files.key_file + ": " + FailureReasons();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    *error = "--tls-key-file " + files.key_file + " does not match the certificate in " +
             "--tls-cert-file " + files.cert_file + ": " + FailureReasons();
    return nullptr;
  }
  if (!files.ca_cert_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca_cert_file.c_str());
    if (names == nullptr ||
        SSL_CTX_load_verify_locations(native, files.ca_cert_file.c_str(), nullptr) != 1) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      *error = "--tls-ca-cert-file " + files.ca_cert_file + ": " + FailureReasons();
      return nullptr;
    }
    // Tells clients which CA their certificate must come from.
    SSL_CTX_set_client_CA_list(native, names);
  }
  SSL_CTX_set_session_id_context(native, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  switch (files.client_auth) {
    case TlsClientAuth::kRequired:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
    case TlsClientAuth::kOptional:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
      break;
    case TlsClientAuth::kNone:
      SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
      break;
  }
  return context;
}

}  // namespace

bool TlsContextStore::Init(TlsFiles files, std::string* error) {
  files_ = std::move(files);
  std::shared_ptr<ssl::context> context = Build(files_, error);
  if (!context) return false;
  std::lock_guard lock(mu_);
  current_ = std::move(context);
  return true;
}

bool TlsContextStore::Reload(std::string* error) {
  std::shared_ptr<ssl::context> context = Build(files_, error);
  if (!context) return false;
  std::lock_guard lock(mu_);
  current_.swap(context);
  // The old context dies with the last connection that holds it.
  return true;
}

std::shared_ptr<ssl::context> TlsContextStore::Current() const {
  std::lock_guard lock(mu_);
  assert(current_ != nullptr);
  return current_;
}

std::string CertificateFingerprint(const std::string& cert_file) {
  FILE* file = std::fopen(cert_file.c_str(), "r");
  if (file == nullptr) return "";
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (cert == nullptr) {
    ERR_clear_error();
    return "";
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const bool ok = X509_digest(cert, EVP_sha256(), digest, &length) == 1;
  X509_free(cert);
  if (!ok) return "";
  std::string hex;
  char byte[4];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof(byte), i == 0 ? "%02X" : ":%02X", digest[i]);
    hex += byte;
  }
  return hex;
}

}  // namespace cairn::server
