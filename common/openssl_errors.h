// OpenSSL's queued error reasons as one message, for the TLS code of both the
// server and the client library (compiled into each; not installed).
#pragma once

#include <string>

namespace cairn {

// The reasons queued on this thread, oldest first, each once, joined by
// ": "; empty when none is queued. Clears the queue.
std::string OpenSslReasons();

}  // namespace cairn
