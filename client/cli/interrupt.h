// Ctrl-C for the monitors (--latency, --stat): the first SIGINT or SIGTERM
// asks the loop to stop and print its last line, instead of killing the
// process mid-line.
#pragma once

#include <chrono>

namespace cairn::cli {

void CatchInterrupts();
bool Interrupted();
// Sleeps for duration, waking early when interrupted.
void SleepUnlessInterrupted(std::chrono::milliseconds duration);

}  // namespace cairn::cli
