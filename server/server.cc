#include "server/server.h"

#include <spdlog/spdlog.h>

#include "server/connection.h"
#include "server/listener.h"
#include "server/service.h"
#include "server/tls_context.h"
#include "server/transport.h"

namespace cairn::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(5);
constexpr auto kShutdownPoll = std::chrono::milliseconds(10);

}  // namespace

Server::Server(asio::io_context& io, Service* service, Writer* writer, Snapshotter* snapshotter)
    : io_(io),
      plain_(io),
      tls_(io),
      shutdown_timer_(io),
      service_(service),
      writer_(writer),
      snapshotter_(snapshotter) {}

bool Server::Listen(const std::string& address, uint16_t port, std::string* error) {
  return OpenListener(&plain_.acceptor, address, port, "--bind", error);
}

bool Server::ListenTls(const std::string& address, uint16_t port, TlsContextStore* tls,
                       std::string* error) {
  tls_.tls = tls;
  return OpenListener(&tls_.acceptor, address, port, "--bind", error);
}

uint16_t Server::PortOf(const Listener& listener) {
  boost::system::error_code ec;
  if (!listener.acceptor.is_open()) return 0;
  const tcp::endpoint endpoint = listener.acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

uint16_t Server::port() const { return PortOf(plain_); }

uint16_t Server::tls_port() const { return PortOf(tls_); }

void Server::Start() {
  if (plain_.acceptor.is_open()) DoAccept(&plain_);
  if (tls_.acceptor.is_open()) DoAccept(&tls_);
}

void Server::DoAccept(Listener* listener) {
  listener->acceptor.async_accept(
      asio::make_strand(io_),
      [this, listener](const boost::system::error_code& ec, tcp::socket socket) {
        if (stopping_) return;
        if (ec) {
          // Running out of file descriptors must not end the accept loop.
          spdlog::warn("accept failed: {}", ec.message());
          listener->retry_timer.expires_after(std::chrono::milliseconds(50));
          listener->retry_timer.async_wait([this, listener](const boost::system::error_code& e) {
            if (!e) DoAccept(listener);
          });
          return;
        }
        service_->counters().connections_total++;
        const Connection::Admission admission = Admit(socket);
        if (admission == Connection::Admission::kServe) MakeRoomForUnauthenticated();
        std::shared_ptr<Transport> transport =
            listener->tls ? Transport::Tls(std::move(socket), listener->tls->Current())
                          : Transport::Plain(std::move(socket));
        auto connection = std::make_shared<Connection>(std::move(transport), service_, writer_,
                                                       snapshotter_, &registry_);
        connection->Start(admission);
        DoAccept(listener);
      });
}

Connection::Admission Server::Admit(const tcp::socket& socket) const {
  const Config& config = service_->config();
  if (!service_->auth_required() && config.protected_mode == "yes") {
    boost::system::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec || !IsLoopback(peer.address())) return Connection::Admission::kProtected;
  }
  if (service_->counters().connections.load() >= config.max_connections) {
    return Connection::Admission::kBusy;
  }
  return Connection::Admission::kServe;
}

void Server::MakeRoomForUnauthenticated() {
  if (!service_->auth_required()) return;
  while (registry_.unauthenticated() >= service_->config().max_unauthenticated_connections) {
    std::shared_ptr<Connection> oldest = registry_.TakeOldestUnauthenticated();
    if (oldest) oldest->Evict();
  }
}

void Server::BeginShutdown(std::function<void()> done) {
  asio::post(io_, [this, done = std::move(done)]() mutable {
    stopping_ = true;
    boost::system::error_code ignored;
    for (Listener* listener : {&plain_, &tls_}) {
      listener->acceptor.close(ignored);
      listener->retry_timer.cancel();
    }
    registry_.ForEach([](const std::shared_ptr<Connection>& c) { c->Shutdown(); });
    AwaitConnectionsClosed(std::chrono::steady_clock::now() + kShutdownGrace, std::move(done));
  });
}

void Server::AwaitConnectionsClosed(std::chrono::steady_clock::time_point deadline,
                                    std::function<void()> done) {
  if (registry_.size() == 0 || std::chrono::steady_clock::now() >= deadline) {
    if (registry_.size() > 0) {
      spdlog::warn("{} connections still busy after the shutdown grace period; closing them",
                   registry_.size());
    }
    done();
    return;
  }
  shutdown_timer_.expires_after(kShutdownPoll);
  shutdown_timer_.async_wait(
      [this, deadline, done = std::move(done)](const boost::system::error_code&) mutable {
        AwaitConnectionsClosed(deadline, std::move(done));
      });
}

void Server::CloseConnections() {
  registry_.ForEach([](const std::shared_ptr<Connection>& c) { c->CloseNow(); });
}

}  // namespace cairn::server
