#include "server/transport.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <utility>

namespace cairn::server {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr size_t kPlainReadChunk = 64 * 1024;
// The largest TLS record's plaintext: one SSL_read never returns more.
constexpr size_t kTlsRecordBytes = 16 * 1024;
// How long Close waits for the close_notify to leave before it gives up.
constexpr auto kCloseNotifyTimeout = std::chrono::seconds(1);

void SetNoDelay(tcp::socket* socket) {
  error_code ignored;
  socket->set_option(tcp::no_delay(true), ignored);
}

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(tcp::socket socket) : socket_(std::move(socket)) {
    SetNoDelay(&socket_);
    error_code ignored;
    socket_.non_blocking(true, ignored);
  }

  void Start(std::chrono::milliseconds, DoneHandler done) override { done(error_code()); }

  void ReadSome(size_t max_bytes, ReadHandler handler) override {
    socket_.async_wait(
        tcp::socket::wait_read, [self = shared_from_this(), max_bytes,
                                 handler = std::move(handler)](error_code ec) mutable {
          static_cast<PlainTransport*>(self.get())->OnReadable(ec, max_bytes, std::move(handler));
        });
  }

  void WriteSome(std::string_view bytes, WriteHandler done) override {
    socket_.async_write_some(
        asio::buffer(bytes.data(), bytes.size()),
        [done = std::move(done)](const error_code& ec, size_t n) { done(ec, n); });
  }

  void Close() override {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  tcp::socket& socket() override { return socket_; }

  void OnReadable(error_code ec, size_t max_bytes, ReadHandler handler) {
    static thread_local std::array<char, kPlainReadChunk> buffer;
    size_t n = 0;
    if (!ec)
      n = socket_.read_some(asio::buffer(buffer.data(), std::min(max_bytes, buffer.size())), ec);
    if (ec == asio::error::would_block) {
      ReadSome(max_bytes, std::move(handler));
      return;
    }
    if (!ec && n == 0) ec = asio::error::eof;
    handler(ec, std::string_view(buffer.data(), n));
  }

  tcp::socket socket_;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(tcp::socket socket, std::shared_ptr<ssl::context> context)
      : context_(std::move(context)),
        stream_(std::move(socket), *context_),
        timer_(stream_.get_executor()) {
    SetNoDelay(&stream_.next_layer());
  }

  void Start(std::chrono::milliseconds timeout, DoneHandler done) override {
    timeout_ = timeout;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      auto* tls = static_cast<TlsTransport*>(self.get());
      if (ec || tls->handshake_finished_) return;
      tls->timed_out_ = true;
      error_code ignored;
      tls->socket().close(ignored);  // ends the handshake with an error
    });
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this(), done = std::move(done)](error_code ec) {
                              auto* tls = static_cast<TlsTransport*>(self.get());
                              tls->handshake_finished_ = true;
                              tls->timer_.cancel();
                              if (!ec)
                                tls->read_buffer_ = std::make_unique<char[]>(kTlsRecordBytes);
                              tls->handshake_ok_ = !ec;
                              done(ec);
                            });
  }

  std::string StartError(const error_code& ec) const override {
    if (timed_out_) {
      return "TLS handshake not finished within " + std::to_string(timeout_.count()) + " ms";
    }
    return "TLS handshake failed: " + ec.message();
  }

  void ReadSome(size_t max_bytes, ReadHandler handler) override {
    assert(read_buffer_ != nullptr);  // REQUIRES: Start succeeded
    char* buffer = read_buffer_.get();
    stream_.async_read_some(
        asio::buffer(buffer, std::min(max_bytes, kTlsRecordBytes)),
        [self = shared_from_this(), buffer, handler = std::move(handler)](error_code ec, size_t n) {
          if (!ec && n == 0) ec = asio::error::eof;
          handler(ec, std::string_view(buffer, n));
        });
  }

  void WriteSome(std::string_view bytes, WriteHandler done) override {
    writing_ = true;
    stream_.async_write_some(
        asio::buffer(bytes.data(), bytes.size()),
        [self = shared_from_this(), done = std::move(done)](const error_code& ec, size_t n) {
          static_cast<TlsTransport*>(self.get())->writing_ = false;
          done(ec, n);
        });
  }

  void Close() override {
    if (closing_) return;
    closing_ = true;
    error_code ignored;
    if (!handshake_ok_ || writing_) {
      // A blocked write would keep close_notify from leaving anyway.
      CloseSocket();
      return;
    }
    // No more input: the shutdown sends close_notify, then sees end of
    // stream at once instead of waiting for the peer's close_notify.
    socket().shutdown(tcp::socket::shutdown_receive, ignored);
    timer_.expires_after(kCloseNotifyTimeout);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) static_cast<TlsTransport*>(self.get())->CloseSocket();
    });
    stream_.async_shutdown([self = shared_from_this()](const error_code&) {
      auto* tls = static_cast<TlsTransport*>(self.get());
      tls->timer_.cancel();
      tls->CloseSocket();
    });
  }

 private:
  tcp::socket& socket() override { return stream_.next_layer(); }

  void CloseSocket() {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  // Declared before stream_, which refers to it: it must outlive it.
  std::shared_ptr<ssl::context> context_;
  ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;  // the handshake's deadline, then close_notify's
  std::chrono::milliseconds timeout_{0};
  std::unique_ptr<char[]> read_buffer_;  // from the end of the handshake
  bool handshake_finished_ = false;
  bool handshake_ok_ = false;
  bool timed_out_ = false;
  bool writing_ = false;
  bool closing_ = false;
};

}  // namespace

std::shared_ptr<Transport> Transport::Plain(tcp::socket socket) {
  return std::make_shared<PlainTransport>(std::move(socket));
}

std::shared_ptr<Transport> Transport::Tls(tcp::socket socket,
                                          std::shared_ptr<ssl::context> context) {
  return std::make_shared<TlsTransport>(std::move(socket), std::move(context));
}

std::string Transport::PeerName() {
  error_code ec;
  const tcp::endpoint endpoint = socket().remote_endpoint(ec);
  if (ec) return "unknown peer";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

void Transport::ShutdownReceive() {
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_receive, ignored);
}

}  // namespace cairn::server
