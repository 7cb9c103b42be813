#include "bench/cairn_bench/options.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "cairn/version.h"
#include "client/cli/tls_flags.h"
#include "protocol/request.h"

namespace cairn::bench {

namespace {

constexpr char kDefaultTests[] = "ping,put,get,incr,mixed,delete";
constexpr uint32_t kMaxValueBytes = protocol::Limits{}.max_value_bytes;  // cairnd's default

constexpr char kFooter[] = R"(Tests run one after another, each with fresh connections:
  ping, put (alias set), get, delete (alias del), incr, mixed (GET/PUT by --ratio).
Keys are "key:__rand_int__" ("counter:__rand_int__" for incr); with -r the
placeholder becomes a random 12-digit number in [0, r), as in redis-benchmark.

Exit codes: 0 done, 1 a connection failed or some answers were errors
(unless --ignore-errors), 2 bad command line.)";

// "put,get" into test kinds; an error message names a bad name.
std::string ParseTests(const std::string& list, std::vector<TestKind>* tests) {
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    std::optional<TestKind> kind = ParseTestName(name);
    if (!kind) {
      return "-t: unknown test \"" + name + "\" (ping, put, get, delete, incr, mixed, set, del)";
    }
    tests->push_back(*kind);
  }
  return tests->empty() ? "-t: no test named" : "";
}

// "9:1" into its two weights.
std::string ParseRatio(const std::string& ratio, uint32_t* reads, uint32_t* writes) {
  unsigned long r = 0, w = 0;
  char colon = 0;
  char rest = 0;
  std::istringstream in(ratio);
  if (!(in >> r >> colon >> w) || colon != ':' || in >> rest || r + w == 0 || r > 1000000 ||
      w > 1000000) {
    return "--ratio must be R:W with R, W at most 1000000 and not both 0, not \"" + ratio + "\"";
  }
  *reads = static_cast<uint32_t>(r);
  *writes = static_cast<uint32_t>(w);
  return "";
}

}  // namespace

ParseOutcome ParseOptions(int argc, char** argv, BenchOptions* options, int* exit_code) {
  CLI::App app("cairn-bench: the Cairn load generator (redis-benchmark's flags)", "cairn-bench");
  app.set_help_flag("--help", "Print this help and exit");  // -h is the host
  app.set_version_flag("--version", std::string("cairn-bench ") + kVersion,
                       "Print the version and exit");
  app.footer(kFooter);
  std::string tests = kDefaultTests;
  std::string ratio = "1:1";
  app.add_option("-h,--host", options->host, "server host name or address")->capture_default_str();
  app.add_option("-p,--port", options->port, "server port")->capture_default_str();
  app.add_option("-c,--clients", options->connections, "parallel connections")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  app.add_option("-n,--requests", options->requests, "requests per test")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app.add_option("-d,--data-size", options->value_size, "value size in bytes")
      ->capture_default_str()
      ->check(CLI::Range(0u, kMaxValueBytes));
  app.add_option("-r,--keyspace", options->keyspace,
                 "random keys in [0, r) (0: the literal key:__rand_int__)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, kMaxKeyspace));
  app.add_option("-P,--pipeline", options->pipeline, "requests in flight per connection")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  app.add_option("-t,--tests", tests, "comma-separated tests to run")->capture_default_str();
  app.add_option("--threads", options->threads, "event-loop threads sharing the connections")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--ratio", ratio, "mixed: GETs to PUTs, e.g. 9:1")->capture_default_str();
  app.add_option("-a,--auth-token", options->auth_token,
                 "AUTH every connection with this token (default: $CAIRN_AUTH_TOKEN)");
  cli::AddTlsFlags(&app, &options->tls);
  app.add_flag("-q,--quiet", options->quiet, "one line per test");
  app.add_flag("--json", options->json, "print one JSON object with every result on stdout");
  app.add_flag("--ignore-errors", options->ignore_errors,
               "exit 0 even if some answers were errors (they are still counted)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    *exit_code = code == 0 ? kExitOk : kExitUsage;
    return ParseOutcome::kExit;
  }

  std::string problem = ParseTests(tests, &options->tests);
  if (problem.empty()) problem = ParseRatio(ratio, &options->read_weight, &options->write_weight);
  if (problem.empty() && options->threads > options->connections) {
    problem = "--threads must be at most -c (each thread drives its own connections)";
  }
  if (!problem.empty()) {
    std::cerr << "cairn-bench: " << problem << "\nRun with --help for more information.\n";
    *exit_code = kExitUsage;
    return ParseOutcome::kExit;
  }
  if (app.count("--auth-token") == 0) {
    if (const char* token = std::getenv("CAIRN_AUTH_TOKEN")) options->auth_token = token;
  }
  // cairnd drops its token file's trailing whitespace; a token keeping some
  // could never match.
  std::string& token = options->auth_token;
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return ParseOutcome::kRun;
}

}  // namespace cairn::bench
