// Process-wide logging setup: spdlog to stdout (what container platforms
// collect), errors to stderr, as text or as one JSON object a line.
#pragma once

#include <string>

namespace cairn::server {

// REQUIRES: level in debug|info|warn|error, format in text|json.
void SetupLogging(const std::string& level, const std::string& format);

}  // namespace cairn::server
