#include "bench/cairn_bench/tls.h"

#include <openssl/ssl.h>

namespace cairn::bench {

std::unique_ptr<boost::asio::ssl::context> MakeTlsContext(const TlsOptions& tls,
                                                          std::string* error) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (tls.verify) {
    if (tls.ca_file.empty()) {
      context->set_default_verify_paths(ec);
    } else {
      context->load_verify_file(tls.ca_file, ec);
    }
    if (ec) {
      *error = "cannot load --cacert " + tls.ca_file + ": " + ec.message();
      return nullptr;
    }
    context->set_verify_mode(ssl::verify_peer);
  }
  if (!tls.cert_file.empty()) {
    context->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) {
      *error = "cannot load --cert " + tls.cert_file + ": " + ec.message();
      return nullptr;
    }
    context->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec) {
      *error = "cannot load --key " + tls.key_file + ": " + ec.message();
      return nullptr;
    }
  }
  return context;
}

}  // namespace cairn::bench
