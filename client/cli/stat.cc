#include "client/cli/stat.h"

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "client/cli/cli_options.h"
#include "client/cli/interrupt.h"
#include "client/cli/output.h"

namespace cairn::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kHeaderEvery = 20;

// A counter of the STATS document; nullopt when it is missing or not a
// number (the document is the server's, not ours to trust blindly).
std::optional<uint64_t> Counter(const nlohmann::json& stats, const char* name) {
  const auto it = stats.find(name);
  if (it == stats.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

std::string Column(std::optional<uint64_t> value) { return value ? std::to_string(*value) : "-"; }

}  // namespace

int RunStat(Client* client, int count, std::chrono::milliseconds interval) {
  CatchInterrupts();
  // The previous line's request counter, when it had one.
  bool have_last = false;
  uint64_t last_requests = 0;
  Clock::time_point last_time;
  int exit_code = kExitOk;
  for (int line = 0; !Interrupted() && (count == 0 || line < count); ++line) {
    if (line > 0) SleepUnlessInterrupted(interval);
    if (Interrupted()) break;
    const Result<nlohmann::json> stats = client->Stats();
    const Clock::time_point now = Clock::now();
    if (!stats.ok()) {
      std::cerr << DescribeFailure(stats.status()) << "\n";
      have_last = false;
      exit_code = kExitError;
      continue;
    }
    exit_code = kExitOk;
    const std::optional<uint64_t> requests = Counter(stats.value(), "requests");
    std::optional<uint64_t> ops_per_second;
    if (requests && have_last && *requests >= last_requests) {
      const double seconds = std::chrono::duration<double>(now - last_time).count();
      ops_per_second = static_cast<uint64_t>((*requests - last_requests) / seconds + 0.5);
    }
    have_last = requests.has_value();
    last_requests = requests.value_or(0);
    last_time = now;
    char text[160];
    if (line % kHeaderEvery == 0) {
      std::snprintf(text, sizeof(text), "%-10s %9s %12s %13s\n", "keys", "ops/s", "connections",
                    "last_version");
      std::cout << text;
    }
    std::snprintf(text, sizeof(text), "%-10s %9s %12s %13s\n",
                  Column(Counter(stats.value(), "keys")).c_str(), Column(ops_per_second).c_str(),
                  Column(Counter(stats.value(), "connections")).c_str(),
                  Column(Counter(stats.value(), "last_version")).c_str());
    std::cout << text << std::flush;
  }
  return exit_code;
}

}  // namespace cairn::cli
