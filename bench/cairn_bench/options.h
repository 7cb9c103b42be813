// cairn-bench's command line: redis-benchmark's flags and defaults, plus
// --threads, --ratio, --json and --ignore-errors. The usage text is at the
// top of main.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/cairn_bench/workload.h"
#include "client/options.h"

namespace cairn::bench {

inline constexpr int kExitOk = 0;
// A connection failure, or error answers (without --ignore-errors): a run
// that measured refusals must not pass for a benchmark result.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct BenchOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;  // cairnd's default (server/config.h)
  uint32_t connections = 50;
  uint64_t requests = 100000;  // per test
  uint32_t value_size = 3;
  uint64_t keyspace = 0;  // 0: every request uses the literal key
  uint32_t pipeline = 1;
  std::vector<TestKind> tests;
  uint32_t threads = 1;
  uint32_t read_weight = 1;  // --ratio R:W, for mixed
  uint32_t write_weight = 1;
  std::string auth_token;  // empty: no AUTH
  TlsOptions tls;          // --tls and friends
  bool quiet = false;
  bool json = false;
  bool ignore_errors = false;

  WorkloadSpec Spec(TestKind kind) const {
    return {kind, keyspace, value_size, read_weight, write_weight};
  }
};

enum class ParseOutcome { kRun, kExit };

// Fills *options from argv (and CAIRN_AUTH_TOKEN when -a is absent). On
// kExit, the help or an error has been printed and *exit_code says how to
// exit: kExitOk after --help, kExitUsage for a bad command line.
ParseOutcome ParseOptions(int argc, char** argv, BenchOptions* options, int* exit_code);

}  // namespace cairn::bench
