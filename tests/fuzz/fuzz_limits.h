// The limits a fuzz target runs with, chosen when it is compiled
// (CAIRN_FUZZ_LIMITS, set in CMakeLists.txt), so one source gives a target
// per server path:
//   small       tiny limits, so short inputs reach every limit check
//   production  cairnd's defaults: only these let a long input show what a
//               real server would allocate for it
//   preauth     the limits before AUTH (server/auth.h): what anyone who
//               can reach the port may send
#pragma once

#include <cstdint>

#include "protocol/request.h"
#include "server/auth.h"

#define CAIRN_FUZZ_LIMITS_SMALL 1
#define CAIRN_FUZZ_LIMITS_PRODUCTION 2
#define CAIRN_FUZZ_LIMITS_PREAUTH 3

namespace cairn::fuzz {

inline protocol::Limits FuzzLimits() {
#if CAIRN_FUZZ_LIMITS == CAIRN_FUZZ_LIMITS_SMALL
  return protocol::Limits{64, 256, 1024};
#elif CAIRN_FUZZ_LIMITS == CAIRN_FUZZ_LIMITS_PRODUCTION
  return protocol::Limits{};
#elif CAIRN_FUZZ_LIMITS == CAIRN_FUZZ_LIMITS_PREAUTH
  protocol::Limits limits;
  limits.max_frame_bytes = server::kPreAuthMaxRequestBytes;
  return limits;
#else
#error "CAIRN_FUZZ_LIMITS must be one of the CAIRN_FUZZ_LIMITS_* values"
#endif
}

// Before AUTH the server parses AUTH and PING only; it answers every other
// opcode without reading the body.
inline bool ServerParses(protocol::Opcode opcode) {
#if CAIRN_FUZZ_LIMITS == CAIRN_FUZZ_LIMITS_PREAUTH
  return opcode == protocol::Opcode::kAuth || opcode == protocol::Opcode::kPing;
#else
  (void)opcode;
  return true;
#endif
}

}  // namespace cairn::fuzz
