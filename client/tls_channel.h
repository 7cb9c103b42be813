// TlsChannel: the client side of TLS (OpenSSL) over a connected,
// non-blocking socket descriptor that Socket owns. OpenSSL's WANT_READ and
// WANT_WRITE become "nothing now" (0 bytes), and the owner waits on the
// descriptor as it would without TLS; bytes OpenSSL has already taken off
// the socket make the channel readable without the socket being so
// (has_buffered). Every failure is a status whose message names the peer and
// carries OpenSSL's reason (and, for a refused certificate, why).
// Internal to the client library; not installed.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "client/options.h"
#include "client/status.h"

namespace cairn {

class TlsChannel {
 public:
  // Waits until fd is readable (want_read) or writable; an error on timeout.
  using WaitFn = std::function<Status(bool want_read, bool want_write)>;

  // Runs the client handshake over fd as `tls` says, waiting through wait
  // whenever OpenSSL needs the socket. host is ClientOptions::host, the name
  // verified when tls.server_name is empty; peer ("host:port") names the
  // server in messages. kConnectFailed on any failure.
  static Result<std::unique_ptr<TlsChannel>> Handshake(int fd, const std::string& host,
                                                       const TlsOptions& tls,
                                                       const std::string& peer, const WaitFn& wait);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // As Socket::WriteSome and Socket::ReadSome.
  Result<size_t> WriteSome(std::string_view bytes);
  Result<size_t> ReadSome(char* buffer, size_t size);
  // Bytes inside OpenSSL that a ReadSome may return without the socket
  // being readable.
  bool has_buffered() const;
  // The last read could not go on until the socket is writable.
  bool read_wants_write() const { return read_wants_write_; }
  // Socket::IsStale for a TLS connection: handshake messages the server
  // sent after the handshake (TLS 1.3 session tickets) do not count.
  bool IsStale();

 private:
  TlsChannel(SSL_CTX* context, SSL* ssl, std::string peer)
      : context_(context), ssl_(ssl), peer_(std::move(peer)) {}
  // A kConnectionLost status for a failed SSL call that returned result.
  Status Lost(int result, const char* what);

  SSL_CTX* context_;
  SSL* ssl_;
  const std::string peer_;
  bool read_wants_write_ = false;
};

}  // namespace cairn
