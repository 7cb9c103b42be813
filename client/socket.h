// Socket: one TCP connection to the server over POSIX sockets, optionally
// with TLS on top (StartTls; tls_channel.h). The file descriptor is
// non-blocking underneath so that every wait has a timeout and a pipeline
// can read answers while a write is blocked; with TLS, ReadSome and
// WriteSome carry plaintext and Wait accounts for bytes OpenSSL holds.
// Every failure is a connection error (status.h) whose message names the
// peer. Internal to the client library; not installed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "client/options.h"
#include "client/status.h"

namespace cairn {

class TlsChannel;

class Socket {
 public:
  // Resolves host and tries each of its addresses in turn, each for at most
  // timeout. The connection has TCP_NODELAY set: requests are small and
  // written whole, so Nagle's algorithm would only add latency.
  static Result<Socket> Connect(const std::string& host, uint16_t port,
                                std::chrono::milliseconds timeout);

  // Runs the TLS handshake (tls.enabled), each wait at most timeout; from
  // then on the socket carries plaintext through TLS. host is the name
  // Connect was given. kConnectFailed when it fails.
  // REQUIRES: no byte has been read or written yet.
  Status StartTls(const std::string& host, const TlsOptions& tls,
                  std::chrono::milliseconds timeout);

  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  struct Readiness {
    bool readable = false;  // also set on hangup or error, for ReadSome to report
    bool writable = false;
  };
  // Waits until the socket is readable (if want_read) or writable (if
  // want_write). kTimeout after timeout; a zero timeout waits forever.
  // REQUIRES: want_read || want_write.
  Result<Readiness> Wait(bool want_read, bool want_write, std::chrono::milliseconds timeout);

  // Writes what the kernel takes now; 0 when it takes nothing.
  Result<size_t> WriteSome(std::string_view bytes);
  // Reads what is available now, at most size bytes; 0 when nothing is.
  // kConnectionLost once the peer has closed.
  Result<size_t> ReadSome(char* buffer, size_t size);

  // True unless the connection is open with nothing to read: the peer closed
  // or reset it, or sent bytes nobody asked for. Never blocks. Meant for a
  // connection with no request in flight, before reusing it.
  bool IsStale() const;

  // "host:port", for messages.
  const std::string& peer() const { return peer_; }

 private:
  Socket(int fd, std::string peer);
  // A kConnectionLost status naming the peer and errno.
  Status Lost(int error) const;

  int fd_ = -1;
  std::string peer_;
  std::unique_ptr<TlsChannel> tls_;  // null: plain TCP
};

}  // namespace cairn
