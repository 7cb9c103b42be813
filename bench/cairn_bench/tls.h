// The TLS side of cairn-bench's connections (--tls, --cacert, --cert, --key,
// --sni, --insecure): one asio::ssl::context for the whole run, and what each
// connection needs to verify the server's name.
#pragma once

// clang-format off
#include <utility>  // Boost 1.74's asio/awaitable.hpp needs it first (see server/asio.h)
#include <boost/asio/ssl/context.hpp>
// clang-format on
#include <memory>
#include <string>

#include "client/options.h"

namespace cairn::bench {

// A client context as `tls` says (TLS 1.2 at least; the server's chain
// verified unless tls.verify is false); null with *error set when a file
// cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> MakeTlsContext(const TlsOptions& tls,
                                                          std::string* error);

// What a connection sends as SNI and verifies the certificate against:
// tls.server_name, else the host.
inline std::string TlsServerName(const TlsOptions& tls, const std::string& host) {
  return tls.server_name.empty() ? host : tls.server_name;
}

}  // namespace cairn::bench
