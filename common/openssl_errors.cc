#include "common/openssl_errors.h"

#include <openssl/err.h>

namespace cairn {

std::string OpenSslReasons() {
  std::string reasons;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    char fallback[256];
    if (reason == nullptr) {
      ERR_error_string_n(code, fallback, sizeof(fallback));
      reason = fallback;
    }
    if (reasons.find(reason) != std::string::npos) continue;
    if (!reasons.empty()) reasons += ": ";
    reasons += reason;
  }
  return reasons;
}

}  // namespace cairn
