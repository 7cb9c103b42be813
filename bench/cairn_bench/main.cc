// cairn-bench: Cairn's load generator, redis-benchmark's counterpart, with
// the same flags, defaults and meaning, so that one comparison runs
// redis-benchmark against redis-server and cairn-bench against cairnd.
//
//   cairn-bench [-h host] [-p port] [-c conns] [-n requests] [-d bytes]
//               [-r keyspace] [-P pipeline] [-t tests] [--threads N]
//               [--ratio R:W] [-a token] [-q | --json] [--ignore-errors]
//               [--tls [--cacert FILE] [--cert FILE --key FILE] [--sni NAME] [--insecure]]
//
//   -h 127.0.0.1   server                  -p 7070      port
//   -c 50          connections             -n 100000    requests per test
//   -d 3           value bytes ('x' * d)   -P 1         requests in flight per connection
//   -r             random keys "key:" + 12 digits in [0, r); without it, every
//                  request uses the literal key "key:__rand_int__"
//   -t             comma list of ping, put (set), get, delete (del), incr,
//                  mixed; default ping,put,get,incr,mixed,delete
//   --threads 1    event-loop threads; the connections are split among them
//   --ratio 1:1    mixed: GETs to PUTs (9:1 = 90% GET)
//   -a TOKEN       AUTH each connection (default: $CAIRN_AUTH_TOKEN)
//   -q             one line per test       --json   one JSON object on stdout (report.h)
//   --tls          TLS to a cairnd --tls-port, as redis-benchmark's --tls: --cacert
//                  (default: the system's CAs), --cert/--key (client certificate),
//                  --sni (name sent and verified; default: -h), --insecure (no verification)
//
// Examples:
//   cairn-bench -t put,get -n 200000 -r 100000 -c 50 -P 16 -d 100
//   cairn-bench -t mixed --ratio 9:1 -r 1000000 -P 16 --threads 2 --json
//
// Latency is per request, from the write of its batch to the decoding of its
// answer, recorded in nanoseconds in a histogram (histogram.h) and printed
// in milliseconds. An answer other than OK (or NOT_FOUND to GET and DELETE)
// is counted as an error and the run goes on; the first one of each test is
// printed on stderr. Exit codes: 0 done, 1 a connection failed or could not
// be made, or some answers were errors (unless --ignore-errors), 2 bad usage.
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <vector>

#include "bench/cairn_bench/options.h"
#include "bench/cairn_bench/report.h"
#include "bench/cairn_bench/runner.h"

int main(int argc, char** argv) {
  using namespace cairn::bench;
  // A connection the server closes must fail a write, not kill the process.
  signal(SIGPIPE, SIG_IGN);

  BenchOptions options;
  int exit_code = kExitOk;
  if (ParseOptions(argc, argv, &options, &exit_code) == ParseOutcome::kExit) return exit_code;

  const bool show_progress = !options.json && !options.quiet && isatty(STDERR_FILENO) == 1;
  std::vector<TestResult> results;
  uint64_t errors = 0;
  for (TestKind kind : options.tests) {
    TestOutcome outcome = RunTest(options, kind, show_progress);
    if (!outcome.ok) {
      std::cerr << "cairn-bench: " << TestLabel(options, kind) << ": " << outcome.failure << "\n";
      return kExitFailure;
    }
    const TestResult& result = outcome.result;
    if (result.errors > 0) {
      std::cerr << "cairn-bench: " << TestLabel(options, kind) << ": " << result.errors
                << " errors, the first: " << result.first_error << "\n";
    }
    errors += result.errors;
    if (options.quiet && !options.json) std::cout << QuietLine(options, result) << std::flush;
    if (!options.quiet && !options.json) std::cout << TextReport(options, result) << std::flush;
    results.push_back(std::move(outcome.result));
  }
  if (options.json) std::cout << JsonReport(options, results).dump() << "\n";
  return errors > 0 && !options.ignore_errors ? kExitFailure : kExitOk;
}
