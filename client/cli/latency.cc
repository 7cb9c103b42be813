#include "client/cli/latency.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>

#include "client/cli/cli_options.h"
#include "client/cli/interrupt.h"
#include "client/cli/output.h"

namespace cairn::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPause{10};
constexpr std::chrono::milliseconds kRedrawEvery{100};

struct Samples {
  double min_ms = std::numeric_limits<double>::max();
  double max_ms = 0;
  double total_ms = 0;
  int count = 0;

  void Add(double ms) {
    min_ms = std::min(min_ms, ms);
    max_ms = std::max(max_ms, ms);
    total_ms += ms;
    ++count;
  }

  std::string Line() const {
    char line[128];
    std::snprintf(line, sizeof(line), "min: %.2f, max: %.2f, avg: %.2f (%d samples)",
                  count > 0 ? min_ms : 0.0, max_ms, count > 0 ? total_ms / count : 0.0, count);
    return line;
  }
};

}  // namespace

int RunLatency(Client* client, int count, bool terminal) {
  CatchInterrupts();
  Samples samples;
  Clock::time_point last_redraw;
  int exit_code = kExitOk;
  while (!Interrupted() && (count == 0 || samples.count < count)) {
    const Clock::time_point start = Clock::now();
    const Status status = client->Ping();
    const Clock::time_point end = Clock::now();
    if (!status.ok()) {
      if (terminal) std::cout << "\n";
      std::cerr << DescribeFailure(status) << "\n";
      exit_code = kExitError;
      break;
    }
    samples.Add(std::chrono::duration<double, std::milli>(end - start).count());
    if (terminal && end - last_redraw >= kRedrawEvery) {
      std::cout << "\r" << samples.Line() << std::flush;  // "\r": redraw in place
      last_redraw = end;
    }
    if (count == 0 || samples.count < count) SleepUnlessInterrupted(kPause);
  }
  if (exit_code == kExitOk) std::cout << (terminal ? "\r" : "") << samples.Line() << "\n";
  return exit_code;
}

}  // namespace cairn::cli
