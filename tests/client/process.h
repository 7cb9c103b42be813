// Child processes for the client tests: Spawn() starts a program with chosen
// standard streams and environment; RunProcess() runs one to completion, feeding
// its stdin and capturing stdout and stderr. Children get SIGKILL if the
// thread that spawned them dies (PR_SET_PDEATHSIG), so a crashed test leaves
// no process behind; spawn from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/common/temp_dir.h"

namespace cairn::client_test {

// The environment of this process with overrides applied (a nullopt value
// removes the variable), as execve() wants it.
std::vector<std::string> EnvironmentWith(
    const std::map<std::string, std::optional<std::string>>& overrides);

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::vector<std::string> env;   // as EnvironmentWith() makes it
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;             // -1: /dev/null
  int stderr_fd = -1;             // -1: /dev/null
};

// Forks and execs; the child's pid, or -1 (errno set) when fork fails. A
// failing exec makes the child exit with 127.
pid_t Spawn(const SpawnOptions& options);

// How a process ended: its exit code, or 128 + the signal that killed it.
// nullopt when it is still running after timeout (it is left running).
std::optional<int> WaitExit(pid_t pid, std::chrono::milliseconds timeout);

struct RunOutput {
  int exit_code = -1;  // as WaitExit; -1 when killed for running too long
  std::string out;
  std::string err;
};

// Runs argv with env, writes stdin_bytes to it then closes its stdin, and
// collects everything it prints. Kills it after timeout.
RunOutput RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     const std::string& stdin_bytes = "",
                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

using test::TempDir;

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& contents);

}  // namespace cairn::client_test
