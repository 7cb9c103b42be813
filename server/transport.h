// Transport: the byte stream under a Connection, plain TCP or TLS over TCP,
// so that Connection stays the same for both: once Start has succeeded, a
// TLS connection carries requests exactly as a plaintext one does.
//
// - Plain: Start does nothing; ReadSome waits for the socket to become
//   readable without a buffer, then reads into a buffer of the thread that
//   runs the handler, so an idle connection holds none.
// - TLS: Start runs the server handshake and closes the socket if it has not
//   finished within the timeout. ReadSome reads through the SSL stream into
//   a per-connection buffer of one TLS record (16 KiB): data OpenSSL has
//   already decrypted does not make the socket readable, so waiting on the
//   socket could stall. Close sends close_notify when no write is blocked,
//   without waiting for the peer's, and gives up after a second.
//
// At most one ReadSome and one WriteSome may be outstanding at a time (they
// may be outstanding together). All calls and handlers run on executor().
// Errors are passed to handlers as they come; no exception leaves.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/asio.h"

// clang-format off
#include <boost/asio/ssl.hpp>
// clang-format on

namespace cairn::server {

class Transport : public std::enable_shared_from_this<Transport> {
 public:
  using tcp = boost::asio::ip::tcp;
  using Executor = tcp::socket::executor_type;
  using DoneHandler = std::function<void(const boost::system::error_code&)>;
  // bytes live until the handler returns. An error (eof included) ends reading.
  using ReadHandler = std::function<void(const boost::system::error_code&, std::string_view bytes)>;
  using WriteHandler = std::function<void(const boost::system::error_code&, size_t written)>;
  // ReadSome's max_bytes when the caller sets no bound of its own.
  static constexpr size_t kUnlimitedRead = SIZE_MAX;

  // Both set TCP_NODELAY.
  static std::shared_ptr<Transport> Plain(tcp::socket socket);
  static std::shared_ptr<Transport> Tls(tcp::socket socket,
                                        std::shared_ptr<boost::asio::ssl::context> context);

  virtual ~Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  Executor executor() { return socket().get_executor(); }
  // "ADDR:PORT" of the peer, or "unknown peer".
  std::string PeerName();

  // Makes the transport ready to carry requests within timeout; done gets
  // an error if it cannot (StartError says why, for the log).
  virtual void Start(std::chrono::milliseconds timeout, DoneHandler done) = 0;
  // Why Start failed, for the log.
  virtual std::string StartError(const boost::system::error_code& ec) const { return ec.message(); }
  // Hands the handler at most max_bytes (and at most one internal buffer).
  virtual void ReadSome(size_t max_bytes, ReadHandler handler) = 0;
  // Writes a prefix of bytes (not empty unless an error); done learns how
  // much. One call at a time, so a caller sees each step of progress.
  // REQUIRES: bytes stay valid until done runs.
  virtual void WriteSome(std::string_view bytes, WriteHandler done) = 0;
  // Ends an outstanding ReadSome (it sees end of stream) and every later one.
  void ShutdownReceive();
  // Closes now, or after a best-effort close_notify (TLS). Never blocks.
  virtual void Close() = 0;

 protected:
  Transport() = default;
  virtual tcp::socket& socket() = 0;
};

}  // namespace cairn::server
