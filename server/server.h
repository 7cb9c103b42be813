// Server: listens (plain TCP, TLS, or both on the same address), accepts
// connections onto strands of the io_context, and shuts down gracefully: stop
// accepting, let every connection answer what it has received, then report
// done. It decides admission: protected mode refuses non-loopback peers when
// no token is configured, max_connections answers BUSY, and a flood of
// connections yet to authenticate displaces the oldest of them rather than
// the newcomer.
#pragma once

#include <functional>
#include <string>

#include "server/asio.h"
#include "server/connection.h"
#include "server/connection_registry.h"

namespace cairn::server {

class Service;
class Writer;
class Snapshotter;
class TlsContextStore;

class Server {
 public:
  Server(boost::asio::io_context& io, Service* service, Writer* writer, Snapshotter* snapshotter);

  // Binds and listens for plain TCP; false with *error set on failure.
  bool Listen(const std::string& address, uint16_t port, std::string* error);
  // Binds and listens for TLS: each connection is served under tls->Current()
  // as of its accept. REQUIRES: *tls outlives this Server.
  bool ListenTls(const std::string& address, uint16_t port, TlsContextStore* tls,
                 std::string* error);
  // The bound ports; 0 for a listener not opened.
  uint16_t port() const;
  uint16_t tls_port() const;
  void Start();
  // Stops accepting and asks every connection to finish; calls done once
  // all have closed or a deadline has passed.
  void BeginShutdown(std::function<void()> done);
  // Closes the connections still open (those the shutdown's grace period
  // gave up on), so that none outlives this Server when the event loop's
  // pending handlers are destroyed. REQUIRES: the event loop has stopped.
  void CloseConnections();

 private:
  struct Listener {
    explicit Listener(boost::asio::io_context& io) : acceptor(io), retry_timer(io) {}
    boost::asio::ip::tcp::acceptor acceptor;
    boost::asio::steady_timer retry_timer;  // after a failed accept
    TlsContextStore* tls = nullptr;         // null: plain TCP
  };

  void DoAccept(Listener* listener);
  static uint16_t PortOf(const Listener& listener);
  // Whether the connection on socket is served (protected mode, then
  // max_connections).
  Connection::Admission Admit(const boost::asio::ip::tcp::socket& socket) const;
  // With a token, closes the oldest connections yet to authenticate until a
  // new one fits under max_unauthenticated_connections.
  void MakeRoomForUnauthenticated();
  void AwaitConnectionsClosed(std::chrono::steady_clock::time_point deadline,
                              std::function<void()> done);

  boost::asio::io_context& io_;
  Listener plain_;
  Listener tls_;
  boost::asio::steady_timer shutdown_timer_;
  Service* const service_;
  Writer* const writer_;
  Snapshotter* const snapshotter_;
  ConnectionRegistry registry_;
  bool stopping_ = false;
};

}  // namespace cairn::server
