#include "client/socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "client/tls_channel.h"

namespace cairn {

namespace {

using Clock = std::chrono::steady_clock;

// Polls one descriptor until an event or the deadline (none when zero),
// retrying after signals. Returns poll()'s revents, 0 on timeout, -1 (errno
// set) on failure.
int PollUntil(int fd, short events, std::chrono::milliseconds timeout) {
  const bool forever = timeout.count() == 0;
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    int wait_ms = -1;
    if (!forever) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      // Round up so a sub-millisecond remainder still waits instead of spinning.
      wait_ms = left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
    }
    pollfd pfd{fd, events, 0};
    const int n = poll(&pfd, 1, wait_ms);
    if (n > 0) return pfd.revents;
    if (n == 0 && (forever || Clock::now() >= deadline)) return 0;
    if (n < 0 && errno != EINTR) return -1;
  }
}

// Connects one address within timeout; the descriptor is returned
// non-blocking, or -1 with *error set.
int ConnectOne(const addrinfo& address, std::chrono::milliseconds timeout, std::string* error) {
  const int fd = socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::strerror(errno);
    return -1;
  }
  if (connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      *error = std::strerror(errno);
      close(fd);
      return -1;
    }
    const int revents = PollUntil(fd, POLLOUT, timeout);
    if (revents <= 0) {
      *error = revents == 0 ? "timed out after " + std::to_string(timeout.count()) + " ms"
                            : std::strerror(errno);
      close(fd);
      return -1;
    }
    int so_error = 0;
    socklen_t length = sizeof(so_error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
    if (so_error != 0) {
      *error = std::strerror(so_error);
      close(fd);
      return -1;
    }
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

Result<Socket> Socket::Connect(const std::string& host, uint16_t port,
                               std::chrono::milliseconds timeout) {
  std::string peer = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  const int resolved = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses);
  if (resolved != 0) {
    return Status(Code::kConnectFailed, "cannot resolve " + host + ": " + gai_strerror(resolved));
  }
  std::string error = "no address";
  int fd = -1;
  for (const addrinfo* address = addresses; address != nullptr && fd < 0;
       address = address->ai_next) {
    fd = ConnectOne(*address, timeout, &error);
  }
  freeaddrinfo(addresses);
  if (fd < 0) return Status(Code::kConnectFailed, "cannot connect to " + peer + ": " + error);
  return Socket(fd, std::move(peer));
}

Socket::Socket(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}

Socket::Socket(Socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      peer_(std::move(other.peer_)),
      tls_(std::move(other.tls_)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    tls_.reset();  // its close_notify goes out on its own descriptor
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    peer_ = std::move(other.peer_);
    tls_ = std::move(other.tls_);
  }
  return *this;
}

Socket::~Socket() {
  tls_.reset();
  if (fd_ >= 0) close(fd_);
}

Status Socket::StartTls(const std::string& host, const TlsOptions& tls,
                        std::chrono::milliseconds timeout) {
  Result<std::unique_ptr<TlsChannel>> channel = TlsChannel::Handshake(
      fd_, host, tls, peer_, [this, timeout](bool want_read, bool want_write) {
        Result<Readiness> ready = Wait(want_read, want_write, timeout);
        return ready.ok() ? Status() : ready.status();
      });
  if (!channel.ok()) return channel.status();
  tls_ = std::move(channel).value();
  return Status();
}

Result<Socket::Readiness> Socket::Wait(bool want_read, bool want_write,
                                       std::chrono::milliseconds timeout) {
  Readiness ready;
  if (tls_ && want_read && tls_->has_buffered()) {
    // Decrypted bytes wait inside OpenSSL; the socket may have nothing.
    ready.readable = true;
    return ready;
  }
  // A TLS read that must write first goes on once the socket takes bytes.
  const bool read_needs_write = tls_ && want_read && tls_->read_wants_write();
  const short events = (want_read ? POLLIN : 0) | (want_write || read_needs_write ? POLLOUT : 0);
  const int revents = PollUntil(fd_, events, timeout);
  if (revents < 0) return Lost(errno);
  if (revents == 0) {
    return Status(Code::kTimeout, "no progress on the connection to " + peer_ + " for " +
                                      std::to_string(timeout.count()) + " ms");
  }
  ready.readable = (revents & (POLLIN | POLLHUP | POLLERR)) != 0 ||
                   (read_needs_write && (revents & POLLOUT) != 0);
  ready.writable = want_write && (revents & POLLOUT) != 0;
  return ready;
}

Result<size_t> Socket::WriteSome(std::string_view bytes) {
  if (tls_) return tls_->WriteSome(bytes);
  while (true) {
    // MSG_NOSIGNAL: a closed peer is an error to report, not a SIGPIPE.
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    if (errno != EINTR) return Lost(errno);
  }
}

Result<size_t> Socket::ReadSome(char* buffer, size_t size) {
  if (tls_) return tls_->ReadSome(buffer, size);
  while (true) {
    const ssize_t n = recv(fd_, buffer, size, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Status(Code::kConnectionLost, "connection closed by " + peer_);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    if (errno != EINTR) return Lost(errno);
  }
}

bool Socket::IsStale() const {
  if (tls_) return tls_->IsStale();
  char byte;
  const ssize_t n = recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

Status Socket::Lost(int error) const {
  return Status(Code::kConnectionLost,
                "connection to " + peer_ + " failed: " + std::strerror(error));
}

}  // namespace cairn
