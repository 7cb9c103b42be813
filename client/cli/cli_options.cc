#include "client/cli/cli_options.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cairn/version.h"
#include "client/cli/tls_flags.h"

namespace cairn::cli {

namespace {

constexpr char kFooter[] = R"(Modes:
  cairn-cli [options] COMMAND ARGS...   one-shot: run one command, print its answer
  cairn-cli [options]                   interactive (line editing, history in ~/.cairn_history)
  cairn-cli [options] --pipe < FILE     bulk: one command per line, pipelined
  cairn-cli [options] --latency         repeated PING: min/avg/max round trip
  cairn-cli [options] --stat            one line of STATS per interval
Commands use the syntax of the text protocol; type `help` in interactive mode.

Output: answers are quoted and escaped like the text protocol when stdout is a
terminal, raw bytes otherwise (--raw, --no-raw and --hex choose).

Exit codes:
  0  OK (found, written)
  1  NOT_FOUND or VERSION_MISMATCH
  2  an error: an error answer, a refused connection, a failed AUTH, a timeout,
     a malformed command, bad options; --pipe: any line that failed

Auth: the token is read from --auth-token-file or from the environment variable
CAIRN_AUTH_TOKEN (trailing whitespace dropped), never from the command line.)";

// A token without trailing whitespace, as cairnd reads its own.
std::string TrimToken(std::string token) {
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  return token;
}

bool ReadToken(const std::string& path, std::string* token) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream content;
  content << in.rdbuf();
  *token = TrimToken(content.str());
  return !token->empty();
}

}  // namespace

ParseOutcome ParseCommandLine(int argc, char** argv, CliOptions* options, int* exit_code) {
  CLI::App app("cairn-cli: the Cairn command line client", "cairn-cli");
  app.set_help_flag("--help", "Print this help and exit");  // -h is the host
  app.set_version_flag("--version", std::string("cairn-cli ") + kVersion,
                       "Print the version and exit");
  app.footer(kFooter);
  // Everything after the first positional is the command, taken literally
  // (so a value may start with '-').
  app.prefix_command();

  ClientOptions& client = options->client;
  int64_t timeout_ms = 10000;
  int64_t connect_timeout_ms = 3000;
  double interval_s = 1.0;
  std::string token_file;
  bool raw = false, no_raw = false, hex = false;
  bool pipe = false, latency = false, stat = false;
  app.add_option("-h,--host", client.host, "server host name or address")->capture_default_str();
  app.add_option("-p,--port", client.port, "server port")->capture_default_str();
  app.add_option("--auth-token-file", token_file, "file holding the AUTH token");
  AddTlsFlags(&app, &client.tls);
  app.add_option("--timeout-ms", timeout_ms, "give up on an answer after this long")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--connect-timeout-ms", connect_timeout_ms, "give up connecting after this long")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI::Option* raw_flag = app.add_flag("--raw", raw, "print values as raw bytes");
  CLI::Option* no_raw_flag =
      app.add_flag("--no-raw", no_raw, "print answers quoted, even when stdout is not a terminal");
  CLI::Option* hex_flag = app.add_flag("--hex", hex, "print values and keys in hex");
  raw_flag->excludes(no_raw_flag)->excludes(hex_flag);
  no_raw_flag->excludes(hex_flag);
  CLI::Option* pipe_flag = app.add_flag("--pipe", pipe, "pipeline commands from stdin");
  CLI::Option* latency_flag = app.add_flag("--latency", latency, "measure PING round trips");
  CLI::Option* stat_flag = app.add_flag("--stat", stat, "print STATS once per interval");
  pipe_flag->excludes(latency_flag)->excludes(stat_flag);
  latency_flag->excludes(stat_flag);
  app.add_option("--count", options->count,
                 "--latency: samples, --stat: lines, then exit (0: until Ctrl-C)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--interval", interval_s, "--stat: seconds between lines")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    *exit_code = app.exit(help);
    return ParseOutcome::kExit;
  } catch (const CLI::CallForVersion& version) {
    *exit_code = app.exit(version);
    return ParseOutcome::kExit;
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    *exit_code = kExitError;
    return ParseOutcome::kExit;
  }

  options->command = app.remaining();
  const int modes = pipe + latency + stat + !options->command.empty();
  if (modes > 1) {
    std::cerr << "cairn-cli: a command cannot be combined with --pipe, --latency or --stat\n";
    *exit_code = kExitError;
    return ParseOutcome::kExit;
  }
  options->mode = pipe                       ? Mode::kPipe
                  : latency                  ? Mode::kLatency
                  : stat                     ? Mode::kStat
                  : options->command.empty() ? Mode::kInteractive
                                             : Mode::kOneShot;

  options->stdout_is_terminal = isatty(STDOUT_FILENO) == 1;
  options->format = hex                                                ? Format::kHex
                    : raw || (!no_raw && !options->stdout_is_terminal) ? Format::kRaw
                                                                       : Format::kQuoted;
  client.io_timeout = std::chrono::milliseconds(timeout_ms);
  client.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
  options->interval = std::chrono::milliseconds(static_cast<int64_t>(interval_s * 1000));

  if (!token_file.empty()) {
    if (!ReadToken(token_file, &client.auth_token)) {
      std::cerr << "cairn-cli: cannot read a token from --auth-token-file " << token_file << "\n";
      *exit_code = kExitError;
      return ParseOutcome::kExit;
    }
  } else if (const char* token = std::getenv("CAIRN_AUTH_TOKEN")) {
    client.auth_token = TrimToken(token);
  }
  return ParseOutcome::kRun;
}

}  // namespace cairn::cli
