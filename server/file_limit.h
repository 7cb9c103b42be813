// The open-file limit: cairnd needs one descriptor per connection besides
// those of its data directory, listeners and event loop.
#pragma once

#include <cstdint>
#include <string>

namespace cairn::server {

// Descriptors kept for other than connections: log segments and snapshots
// being written or pruned, the data directory and LOCK, listeners, the event
// loop, standard streams.
constexpr uint64_t kFilesNotForConnections = 64;

// Raises the soft RLIMIT_NOFILE to the hard limit (or to what the kernel
// allows, fs.nr_open, when the hard limit is unlimited) and returns the soft
// limit in force afterwards. On failure the limit stays as it was, and
// *warning says why.
uint64_t RaiseOpenFileLimit(std::string* warning);

}  // namespace cairn::server
