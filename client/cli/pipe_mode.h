// cairn-cli --pipe: bulk loading. Commands come from stdin, one per line in
// the text protocol's syntax, and go out pipelined (client/pipeline.h), so a
// load runs at the speed of the connection rather than of round trips.
//
// Lines are parsed here and only well-formed requests are sent, so no input
// can leave the server or the CLI waiting. A line that does not parse, that
// is too large, or whose answer is an error is reported on stderr as
// "line N: <status line>". When stdin has nothing ready, what is queued is
// written before waiting for more, so a slow producer is not held back.
// Input ends at end of file or at a QUIT line. Then, once every answer is
// in, the summary goes to stdout:
//   sent: N, ok: N, not_found: N, version_mismatch: N, errors: N
#pragma once

#include "client/client.h"

namespace cairn::cli {

// kExitOk when no line failed; kExitError otherwise, and after a connection
// error (which ends the run; the summary says how far it got).
int RunPipe(Client* client);

}  // namespace cairn::cli
