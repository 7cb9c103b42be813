// cairn-cli --latency: PINGs the server over and over, one every 10 ms, and
// reports the round trip in milliseconds, like redis-cli --latency:
//   min: 0.04, max: 0.31, avg: 0.07 (1523 samples)
// On a terminal the line is redrawn in place as samples come in; otherwise
// only the final line is printed. Stops after count samples, or at Ctrl-C
// when count is 0.
#pragma once

#include "client/client.h"

namespace cairn::cli {

// kExitOk, or kExitError when a PING failed (reported on stderr).
int RunLatency(Client* client, int count, bool terminal);

}  // namespace cairn::cli
