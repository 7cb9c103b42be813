#include "server/metrics_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "server/listener.h"

namespace cairn::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr auto kRequestTimeout = std::chrono::seconds(5);
// Prometheus's content type for the text exposition format.
constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

class MetricsServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Render* render) : stream_(std::move(socket)), render_(render) {}

  void Start() {
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->Answer();
                     });
  }

 private:
  void Answer() {
    response_.version(request_.version());
    response_.keep_alive(false);
    if (request_.target() != "/metrics") {
      response_.result(http::status::not_found);
      response_.set(http::field::content_type, "text/plain");
      response_.body() = "not found: try /metrics\n";
    } else if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET, HEAD");
      response_.set(http::field::content_type, "text/plain");
      response_.body() = "method not allowed\n";
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, kContentType);
      if (request_.method() == http::verb::get) response_.body() = (*render_)();
    }
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  const Render* render_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

MetricsServer::MetricsServer(Render render) : render_(std::move(render)), acceptor_(io_) {}

MetricsServer::~MetricsServer() { Stop(); }

bool MetricsServer::Listen(const std::string& address, uint16_t port, std::string* error) {
  return OpenListener(&acceptor_, address, port, "--metrics-bind", error);
}

uint16_t MetricsServer::port() const { return acceptor_.local_endpoint().port(); }

void MetricsServer::Start() {
  DoAccept();
  thread_ = std::thread([this] { io_.run(); });
}

void MetricsServer::Stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

void MetricsServer::DoAccept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), &render_)->Start();
    DoAccept();
  });
}

}  // namespace cairn::server
