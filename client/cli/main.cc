// cairn-cli: the Cairn command line client, in the spirit of redis-cli and
// netcat: one-shot commands, an interactive prompt, bulk loading through a
// pipe, and latency and stats monitors. `cairn-cli --help` lists the flags
// and exit codes; docs/client.md is the manual.
#include <iostream>
#include <string>
#include <vector>

#include "client/cli/cli_options.h"
#include "client/cli/interactive.h"
#include "client/cli/latency.h"
#include "client/cli/output.h"
#include "client/cli/pipe_mode.h"
#include "client/cli/session.h"
#include "client/cli/stat.h"
#include "client/client.h"
#include "protocol/text.h"

namespace cairn::cli {
namespace {

// The one-shot command as a text-protocol line: each argument becomes one
// token, quoted, so it is taken literally whatever bytes it holds.
std::string CommandLine(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& word : words) {
    if (!line.empty()) line += ' ';
    line += protocol::QuoteText(word);
  }
  return line;
}

int Run(const CliOptions& options) {
  Client client(options.client);
  switch (options.mode) {
    case Mode::kOneShot: {
      Session session(&client, options);
      return session.Execute(CommandLine(options.command)).exit_code;
    }
    case Mode::kInteractive: {
      Session session(&client, options);
      // Connecting first shows a refused connection or token at once; the
      // prompt opens anyway, and each command tries again.
      if (Status status = client.Connect(); !status.ok()) {
        std::cerr << DescribeFailure(status) << "\n";
      }
      return RunInteractive(&session,
                            options.client.host + ":" + std::to_string(options.client.port) + "> ");
    }
    case Mode::kPipe:
      return RunPipe(&client);
    case Mode::kLatency:
      return RunLatency(&client, options.count, options.stdout_is_terminal);
    case Mode::kStat:
      return RunStat(&client, options.count, options.interval);
  }
  return kExitError;
}

}  // namespace
}  // namespace cairn::cli

int main(int argc, char** argv) {
  cairn::cli::CliOptions options;
  int exit_code = cairn::cli::kExitOk;
  if (cairn::cli::ParseCommandLine(argc, argv, &options, &exit_code) ==
      cairn::cli::ParseOutcome::kExit) {
    return exit_code;
  }
  return cairn::cli::Run(options);
}
