// Authentication by a shared token: reading it from its file at startup, and
// checking what a client's AUTH carries against it.
//
// Contract:
// - ReadTokenFile takes the file's content without trailing whitespace. It
//   fails, naming the file, when the file cannot be read or the token is
//   shorter than kMinTokenBytes; it warns when group or others may read it.
// - TokenVerifier::Matches takes time that depends on neither token's content
//   nor length: both sides are reduced to HMAC-SHA256 under a key drawn at
//   random when the verifier is built, and the digests are compared with
//   CRYPTO_memcmp. Without the key, a timing difference in the comparison
//   would say nothing an attacker could steer toward the token.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::server {

// 16 bytes: a token of random characters is then out of reach of online
// guessing even without the per-connection limit below.
constexpr size_t kMinTokenBytes = 16;
// Failed AUTHs a connection may make; the last one is answered, then the
// connection closes.
constexpr uint32_t kMaxAuthFailuresPerConnection = 10;

// Until a connection has authenticated (with a token configured), what it
// may make the server hold is bounded by these, whatever it sends
// (docs/security.md adds them up per connection):
// - a request (frame body or text line) larger than this is TOO_LARGE and
//   closes the connection; a read takes at most this much from the socket;
constexpr uint32_t kPreAuthMaxRequestBytes = 16 * 1024;
// - answers the client has not taken stop reading at this much;
constexpr uint64_t kPreAuthMaxPendingBytes = 16 * 1024;
// - PING echoes at most this much (text mode may quote it to 4x).
constexpr size_t kPreAuthMaxPingBytes = 64;

// *token: the token. *warning: set (else left empty) when the file is
// readable by group or others. False, with *error naming the file, when the
// file cannot be read or holds a token shorter than kMinTokenBytes.
bool ReadTokenFile(const std::string& path, std::string* token, std::string* warning,
                   std::string* error);

class TokenVerifier {
 public:
  // Not configured: no authentication.
  TokenVerifier() = default;

  // Configures token (non-empty). False, with *error, when the system
  // cannot supply a random key.
  bool Init(std::string_view token, std::string* error);

  bool configured() const { return configured_; }
  // False when not configured, and when the digest cannot be computed.
  bool Matches(std::string_view candidate) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  bool Mac(std::string_view data, Digest* digest) const;

  bool configured_ = false;
  std::array<unsigned char, 32> key_{};
  Digest token_mac_{};
};

}  // namespace cairn::server
