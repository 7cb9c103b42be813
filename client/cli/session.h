// Session: runs cairn-cli commands, one line of text-protocol syntax at a
// time, on one Client, and prints the answers (output.h). The one-shot and
// interactive modes share it, so a command behaves the same in both (and as
// in nc). Besides the protocol's commands it knows HELP, EXIT and
// SCAN --prefix P, which pages through every key with the prefix.
#pragma once

#include <string_view>

#include "client/cli/cli_options.h"
#include "client/client.h"
#include "protocol/request.h"

namespace cairn::cli {

class Session {
 public:
  // REQUIRES: *client outlives the session.
  Session(Client* client, const CliOptions& options);

  struct Outcome {
    int exit_code = kExitOk;  // cli_options.h
    bool quit = false;        // QUIT or EXIT: end the session
  };
  // Runs one line (without its line ending). A blank line does nothing.
  Outcome Execute(std::string_view line);

 private:
  Outcome Call(const protocol::Request& request);
  Outcome ScanPrefix(std::string_view prefix);
  // Writes to stdout and stderr unbuffered by iostreams, bytes as they are.
  void Write(std::string_view out, std::string_view err);

  Client* const client_;
  const Format format_;
  // Timing suffixes are for people: only for quoted output on a terminal.
  const bool show_timing_;
};

}  // namespace cairn::cli
