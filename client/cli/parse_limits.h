// The limits cairn-cli parses commands with: none. The server judges keys
// and values against its own, configured limits; the CLI must not refuse
// what a differently configured server would take.
#pragma once

#include <cstdint>
#include <limits>

#include "protocol/request.h"

namespace cairn::cli {

inline constexpr protocol::Limits kNoLimits{
    .max_key_bytes = std::numeric_limits<uint32_t>::max(),
    .max_value_bytes = std::numeric_limits<uint32_t>::max(),
    .max_frame_bytes = std::numeric_limits<uint32_t>::max()};

}  // namespace cairn::cli
