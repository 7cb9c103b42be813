// TlsTestClient: a blocking TLS client of cairnd on 127.0.0.1 for the TLS
// integration tests, written on OpenSSL directly (not on the client library,
// so the server is tested against an independent client). Binary frames
// (Call) or text lines (SendRaw + ReadLine) over one connection.
//
// Contract: every read waits at most 5 s; a failed call returns false /
// nullopt and error() says why, with OpenSSL's reasons (e.g. "tlsv13 alert
// certificate required"). In TLS 1.3 the server judges the client's
// certificate after the client's handshake has finished, so such a refusal
// shows on the first read, not in Connect.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/frame_decoder.h"
#include "protocol/request.h"
#include "protocol/response.h"

namespace cairn::server_test {

struct TlsClientFiles {
  std::string ca_file;    // verify the server against it; empty: no verification
  std::string cert_file;  // client certificate; empty: none
  std::string key_file;
};

class TlsTestClient {
 public:
  TlsTestClient();
  ~TlsTestClient();
  TlsTestClient(const TlsTestClient&) = delete;
  TlsTestClient& operator=(const TlsTestClient&) = delete;

  // Connects and runs the handshake. False with error() set.
  bool Connect(uint16_t port, const TlsClientFiles& files);

  bool SendRaw(std::string_view bytes);
  std::optional<protocol::Response> Call(const protocol::Request& request);
  // The next text line without its "\n".
  std::optional<std::string> ReadLine();
  // The server's certificate as PEM, as `openssl x509` writes it.
  std::string ServerCertificatePem() const;
  // The negotiated protocol, e.g. "TLSv1.3".
  std::string Version() const;

  const std::string& error() const { return error_; }

 private:
  // One SSL_read into *out. False with error_ set on close, timeout or error.
  bool ReadSome(std::string* out);
  bool Fail(const std::string& what);

  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  protocol::FrameDecoder decoder_;
  std::string line_buffer_;
  std::string error_;
};

}  // namespace cairn::server_test
