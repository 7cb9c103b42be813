// ASCII helpers of cairn-cli: command names are ASCII case-insensitive, as
// in the text protocol.
#pragma once

#include <cctype>
#include <string_view>

namespace cairn::cli {

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace cairn::cli
