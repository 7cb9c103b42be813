#include "tests/server/tls_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "protocol/frame.h"
#include "tests/server/test_client.h"

namespace cairn::server_test {

namespace {

constexpr int kTimeoutSeconds = 5;

// OpenSSL's queued reasons, oldest first, cleared.
std::string Reasons() {
  std::string reasons;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  }
  return reasons;
}

}  // namespace

TlsTestClient::TlsTestClient() : decoder_(protocol::kResponseMagic, 64 << 20) {}

TlsTestClient::~TlsTestClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (context_ != nullptr) SSL_CTX_free(context_);
  if (fd_ >= 0) close(fd_);
}

bool TlsTestClient::Fail(const std::string& what) {
  error_ = what;
  const std::string reasons = Reasons();
  if (!reasons.empty()) error_ += ": " + reasons;
  return false;
}

bool TlsTestClient::Connect(uint16_t port, const TlsClientFiles& files) {
  ERR_clear_error();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return Fail(std::string("connect: ") + std::strerror(errno));
  }
  const timeval timeout{kTimeoutSeconds, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  context_ = SSL_CTX_new(TLS_client_method());
  if (!files.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(context_, files.ca_file.c_str(), nullptr) != 1) {
      return Fail("load " + files.ca_file);
    }
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
  }
  if (!files.cert_file.empty() &&
      (SSL_CTX_use_certificate_chain_file(context_, files.cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(context_, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
    return Fail("load " + files.cert_file);
  }
  ssl_ = SSL_new(context_);
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) return Fail("TLS handshake");
  return true;
}

bool TlsTestClient::SendRaw(std::string_view bytes) {
  size_t written = 0;
  if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) != 1 || written != bytes.size()) {
    return Fail("SSL_write");
  }
  return true;
}

bool TlsTestClient::ReadSome(std::string* out) {
  char buffer[16384];
  size_t n = 0;
  if (SSL_read_ex(ssl_, buffer, sizeof(buffer), &n) != 1) {
    const int error = SSL_get_error(ssl_, 0);
    if (error == SSL_ERROR_ZERO_RETURN) return Fail("closed by the server (close_notify)");
    return Fail("SSL_read failed (SSL error " + std::to_string(error) + ", errno " +
                std::string(std::strerror(errno)) + ")");
  }
  out->append(buffer, n);
  return true;
}

std::optional<protocol::Response> TlsTestClient::Call(const protocol::Request& request) {
  std::string bytes;
  protocol::EncodeRequest(request, &bytes);
  if (!SendRaw(bytes)) return std::nullopt;
  return DecodeResponse(
      &decoder_, [this](std::string* chunk) { return ReadSome(chunk); }, &error_);
}

std::optional<std::string> TlsTestClient::ReadLine() {
  while (true) {
    const size_t newline = line_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = line_buffer_.substr(0, newline);
      line_buffer_.erase(0, newline + 1);
      return line;
    }
    if (!ReadSome(&line_buffer_)) return std::nullopt;
  }
}

std::string TlsTestClient::ServerCertificatePem() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(out, cert);
  X509_free(cert);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(out);
  return pem;
}

std::string TlsTestClient::Version() const { return SSL_get_version(ssl_); }

}  // namespace cairn::server_test
