// ClientOptions: where a Client connects and how long it waits. Plain
// values; copy them freely (ClientPool gives every client the same copy).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "protocol/request.h"

namespace cairn {

// TLS to a cairnd --tls-port (docs/client.md). The server's certificate is
// verified by default: its chain against ca_file (or the system's trust
// store) and its name against server_name.
struct TlsOptions {
  bool enabled = false;
  // PEM file of the CAs to trust; empty: the system's default trust store.
  std::string ca_file;
  // Client certificate chain and its key (PEM), for a server started with
  // --tls-auth-clients yes or optional; both or neither.
  std::string cert_file;
  std::string key_file;
  // Sent as SNI (unless it is an IP address) and matched against the
  // certificate's subjectAltName; empty: ClientOptions::host.
  std::string server_name;
  // False accepts any certificate: encrypted, but open to an active
  // man in the middle. For tests and debugging only.
  bool verify = true;
};

struct ClientOptions {
  // A name or a numeric IPv4/IPv6 address; every address it resolves to is
  // tried in turn.
  std::string host = "127.0.0.1";
  uint16_t port = 7070;

  // Longest wait for one address to accept the connection. Zero leaves it
  // to the operating system.
  std::chrono::milliseconds connect_timeout{5000};
  // Longest wait for the connection to make progress (take bytes of the
  // request or deliver bytes of an answer) while a call is outstanding. A
  // call that waits longer fails with kTimeout. Zero waits forever.
  std::chrono::milliseconds io_timeout{30000};

  // Sent as AUTH on every new connection when not empty (the server's token
  // is never empty).
  std::string auth_token;

  // The server's max_frame_bytes. A request whose body would be larger fails
  // with kTooLarge without being sent, because the server would close the
  // connection on it; a larger answer is a protocol error.
  uint32_t max_frame_bytes = protocol::Limits{}.max_frame_bytes;

  TlsOptions tls;
};

}  // namespace cairn
