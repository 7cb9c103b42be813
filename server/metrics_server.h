// MetricsServer: serves GET /metrics (metrics.h) over HTTP/1.1 on its own
// listener, io_context and thread, apart from the data port and the writer,
// so a scrape never delays a request or a commit. Prometheus convention: no
// auth on the scrape port, which is why it binds to loopback unless told
// otherwise (--metrics-bind). One request per connection; a connection that
// has not sent a whole request within kRequestTimeout is closed. Anything but
// GET /metrics answers 404 (405 for another method on /metrics).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "server/asio.h"

namespace cairn::server {

class MetricsServer {
 public:
  // Renders the exposition text; called on the metrics thread.
  using Render = std::function<std::string()>;

  explicit MetricsServer(Render render);
  ~MetricsServer();  // Stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds address:port (0: any free port). False with *error on failure.
  bool Listen(const std::string& address, uint16_t port, std::string* error);
  uint16_t port() const;
  // Starts serving on the metrics thread. REQUIRES: Listen returned true.
  void Start();
  // Closes the listener and every connection and joins the thread. Idempotent.
  void Stop();

 private:
  class Session;
  void DoAccept();

  const Render render_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace cairn::server
