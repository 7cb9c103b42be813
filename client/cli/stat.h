// cairn-cli --stat: one line per interval from STATS, like redis-cli --stat:
//   keys         ops/s  connections  last_version
//   100000        5230            3        100412
// ops/s is the growth of the server's request counter (this tool's own
// STATS included) over the interval; "-" on the first line. A header is
// repeated every 20 lines. When STATS fails (the server restarted, say) the
// error goes to stderr and the next interval tries again. Stops after count
// lines, or at Ctrl-C when count is 0.
#pragma once

#include <chrono>

#include "client/client.h"

namespace cairn::cli {

// kExitOk, or kExitError when the last STATS failed.
int RunStat(Client* client, int count, std::chrono::milliseconds interval);

}  // namespace cairn::cli
