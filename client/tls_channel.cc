#include "client/tls_channel.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/openssl_errors.h"

namespace cairn {

namespace {

bool IsIpAddress(const std::string& name) {
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address) == 1;
}

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own writes with
// write(), and a server that closed would kill the client with SIGPIPE.
struct SocketBioState {
  int fd;
  bool eof = false;
};

SocketBioState* StateOf(BIO* bio) { return static_cast<SocketBioState*>(BIO_get_data(bio)); }

int SocketWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  while (true) {
    const ssize_t n = send(StateOf(bio)->fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
    return -1;
  }
}

int SocketRead(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  while (true) {
    const ssize_t n = recv(StateOf(bio)->fd, data, static_cast<size_t>(size), 0);
    if (n == 0) StateOf(bio)->eof = true;
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
    return -1;
  }
}

long SocketCtrl(BIO* bio, int command, long, void*) {
  if (command == BIO_CTRL_FLUSH) return 1;
  if (command == BIO_CTRL_EOF) return StateOf(bio)->eof ? 1 : 0;
  return 0;
}

int SocketDestroy(BIO* bio) {
  delete StateOf(bio);
  BIO_set_data(bio, nullptr);
  return 1;
}

BIO* NewSocketBio(int fd) {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cairn socket");
    BIO_meth_set_write(m, SocketWrite);
    BIO_meth_set_read(m, SocketRead);
    BIO_meth_set_ctrl(m, SocketCtrl);
    BIO_meth_set_destroy(m, SocketDestroy);
    return m;
  }();
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, new SocketBioState{fd});
  BIO_set_init(bio, 1);
  return bio;
}

}  // namespace

Result<std::unique_ptr<TlsChannel>> TlsChannel::Handshake(int fd, const std::string& host,
                                                          const TlsOptions& tls,
                                                          const std::string& peer,
                                                          const WaitFn& wait) {
  auto failure = [&peer](const std::string& what) {
    return Status(Code::kConnectFailed, "TLS to " + peer + ": " + what);
  };
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr) return failure("cannot make a TLS context: " + OpenSslReasons());
  std::unique_ptr<TlsChannel> channel(new TlsChannel(context, nullptr, peer));
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  // Socket::WriteSome's callers retry with the rest of their buffer, which
  // may have moved, and take partial writes.
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A close without close_notify is a plain close: answers are framed, so a
  // truncated one is caught by the decoder anyway.
  SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (tls.verify) {
    const bool loaded = tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(context) == 1
                                            : SSL_CTX_load_verify_locations(
                                                  context, tls.ca_file.c_str(), nullptr) == 1;
    if (!loaded) return failure("cannot load CA file " + tls.ca_file + ": " + OpenSslReasons());
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return failure("a client certificate needs both a certificate file and a key file");
  }
  if (!tls.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(context, tls.cert_file.c_str()) != 1) {
      return failure("cannot load client certificate " + tls.cert_file + ": " + OpenSslReasons());
    }
    if (SSL_CTX_use_PrivateKey_file(context, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return failure("cannot load client key " + tls.key_file + ": " + OpenSslReasons());
    }
  }
  channel->ssl_ = SSL_new(context);
  BIO* bio = channel->ssl_ == nullptr ? nullptr : NewSocketBio(fd);
  if (bio == nullptr) return failure("cannot make a TLS session: " + OpenSslReasons());
  SSL_set_bio(channel->ssl_, bio, bio);
  const std::string name = tls.server_name.empty() ? host : tls.server_name;
  const bool ip = IsIpAddress(name);
  if (!ip) SSL_set_tlsext_host_name(channel->ssl_, name.c_str());
  if (tls.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(channel->ssl_);
    const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (set != 1) return failure("cannot verify the name " + name + ": " + OpenSslReasons());
  }
  while (true) {
    errno = 0;
    const int result = SSL_connect(channel->ssl_);
    if (result == 1) return channel;
    const int error = SSL_get_error(channel->ssl_, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      Status waited = wait(error == SSL_ERROR_WANT_READ, error == SSL_ERROR_WANT_WRITE);
      if (!waited.ok()) return failure("handshake: " + waited.message());
      continue;
    }
    std::string reason = OpenSslReasons();
    const long verified = SSL_get_verify_result(channel->ssl_);
    if (verified != X509_V_OK) {
      reason += std::string(reason.empty() ? "" : ": ") + X509_verify_cert_error_string(verified);
    }
    if (reason.empty()) {
      reason = errno != 0 ? std::strerror(errno) : "the server closed the connection";
    }
    return failure("handshake failed: " + reason);
  }
}

TlsChannel::~TlsChannel() {
  if (ssl_ != nullptr) {
    // close_notify, best effort: the socket is non-blocking.
    if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  SSL_CTX_free(context_);
  ERR_clear_error();
}

Result<size_t> TlsChannel::WriteSome(std::string_view bytes) {
  if (bytes.empty()) return size_t{0};
  ERR_clear_error();
  size_t written = 0;
  const int result = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written);
  if (result == 1) return written;
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return size_t{0};
  return Lost(error, "write");
}

Result<size_t> TlsChannel::ReadSome(char* buffer, size_t size) {
  ERR_clear_error();
  read_wants_write_ = false;
  size_t read = 0;
  const int result = SSL_read_ex(ssl_, buffer, size, &read);
  if (result == 1) return read;
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ) return size_t{0};
  if (error == SSL_ERROR_WANT_WRITE) {
    read_wants_write_ = true;
    return size_t{0};
  }
  if (error == SSL_ERROR_ZERO_RETURN) {
    return Status(Code::kConnectionLost, "connection closed by " + peer_);
  }
  return Lost(error, "read");
}

bool TlsChannel::has_buffered() const { return SSL_pending(ssl_) > 0; }

bool TlsChannel::IsStale() {
  ERR_clear_error();
  char byte;
  size_t peeked = 0;
  const int result = SSL_peek_ex(ssl_, &byte, 1, &peeked);
  if (result == 1) return true;  // bytes nobody asked for
  const int error = SSL_get_error(ssl_, result);
  ERR_clear_error();
  return error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
}

Status TlsChannel::Lost(int error, const char* what) {
  std::string reason = OpenSslReasons();
  if (reason.empty()) {
    reason = error == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno) : "TLS error";
  }
  return Status(Code::kConnectionLost,
                "connection to " + peer_ + " failed: TLS " + what + ": " + reason);
}

}  // namespace cairn
