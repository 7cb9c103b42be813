#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace cairn::server {

bool ReadTokenFile(const std::string& path, std::string* token, std::string* warning,
                   std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read --auth-token-file " + path;
    return false;
  }
  std::stringstream content;
  content << in.rdbuf();
  *token = content.str();
  while (!token->empty() && std::isspace(static_cast<unsigned char>(token->back()))) {
    token->pop_back();
  }
  if (token->empty()) {
    *error = "--auth-token-file " + path + " holds no token";
    return false;
  }
  if (token->size() < kMinTokenBytes) {
    *error = "--auth-token-file " + path + " holds a token of " + std::to_string(token->size()) +
             " bytes; it must be at least " + std::to_string(kMinTokenBytes) +
             " bytes (e.g. head -c 32 /dev/urandom | base64 > " + path + ")";
    return false;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    std::ostringstream mode;
    mode << std::oct << (st.st_mode & 0777);
    *warning = "--auth-token-file " + path + " is readable by group or others (mode 0" +
               mode.str() + "); chmod 600 it";
  }
  return true;
}

bool TokenVerifier::Init(std::string_view token, std::string* error) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    *error = "cannot draw a random key for AUTH digests (RAND_bytes failed)";
    return false;
  }
  if (!Mac(token, &token_mac_)) {
    *error = "cannot compute HMAC-SHA256 of the auth token";
    return false;
  }
  configured_ = true;
  return true;
}

bool TokenVerifier::Mac(std::string_view data, Digest* digest) const {
  unsigned int length = 0;
  // An empty candidate still gets a digest: data() may be null there.
  static const unsigned char kEmpty = 0;
  const auto* bytes = data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  return HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), bytes, data.size(),
              digest->data(), &length) != nullptr &&
         length == digest->size();
}

bool TokenVerifier::Matches(std::string_view candidate) const {
  Digest got;
  if (!configured_ || !Mac(candidate, &got)) return false;
  return CRYPTO_memcmp(got.data(), token_mac_.data(), got.size()) == 0;
}

}  // namespace cairn::server
