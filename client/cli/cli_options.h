// CliOptions: cairn-cli's command line (CLI11), its mode, and the auth
// token, which comes from --auth-token-file or the environment variable
// CAIRN_AUTH_TOKEN and never from the command line itself.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "client/options.h"

namespace cairn::cli {

// Exit codes, documented in --help.
inline constexpr int kExitOk = 0;
inline constexpr int kExitNegative = 1;  // NOT_FOUND or VERSION_MISMATCH
inline constexpr int kExitError = 2;     // any error: server, connection, usage

enum class Mode {
  kOneShot,      // the command on the command line
  kInteractive,  // a prompt with line editing (or plain lines when stdin is not a terminal)
  kPipe,         // commands from stdin, pipelined
  kLatency,      // repeated PING
  kStat,         // a line of STATS per interval
};

enum class Format {
  kQuoted,  // answers as the text protocol prints them
  kRaw,     // payloads as raw bytes, one per line
  kHex,     // payloads in lowercase hex, one per line
};

struct CliOptions {
  ClientOptions client;
  Mode mode = Mode::kInteractive;
  Format format = Format::kQuoted;
  bool stdout_is_terminal = false;
  std::vector<std::string> command;  // kOneShot: its tokens, taken literally
  int count = 0;                     // kLatency, kStat: samples or lines; 0 until interrupted
  std::chrono::milliseconds interval{1000};  // kStat
};

enum class ParseOutcome { kRun, kExit };

// Fills *options from argv and the environment. On kExit, *exit_code is what
// the process returns (kExitOk after --help; kExitError after an error,
// already printed to stderr).
ParseOutcome ParseCommandLine(int argc, char** argv, CliOptions* options, int* exit_code);

}  // namespace cairn::cli
