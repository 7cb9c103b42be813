// Runs the real cairnd executable (CAIRND_PATH, set by CMake) as a child
// process for integration tests, and a temporary directory to hold its data.
//
// Layout under a TempDir `root` (one per test):
//   root/data        the --data-dir (created by cairnd)
//   root/port        the --port-file cairnd writes once it listens
//   root/cairnd.log  cairnd's stdout and stderr, appended across restarts
//
// Contract:
// - Start() forks and execs cairnd with --data-dir, --port-file, --bind
//   127.0.0.1 (unless the extra flags hold a --bind), --port P (a free port,
//   unless the extra flags hold a --port) and then the extra flags, and waits
//   (10 s) until the port file holds a complete "<port>\n". It fails, with
//   the tail of the log in the message, if cairnd exits first or the wait
//   times out; when cairnd exits because the port was taken meanwhile, it
//   tries again with another (3 tries).
// - Kill() sends SIGKILL and reaps; Signal() sends any signal without waiting;
//   WaitExit() reaps within a timeout and reports how cairnd ended.
// - Restart() kills the running process (if any) and starts again on the same
//   data directory and flags.
// - The destructor SIGKILLs and reaps a process still running. A child also
//   dies with SIGKILL if the thread that started it exits (PR_SET_PDEATHSIG),
//   so start processes from the test's main thread.
// - RunCairnd() runs cairnd once with exactly the given arguments (no
//   defaults added) and collects its stdout and stderr apart, for commands
//   that exit on their own (bad configuration, --check).
// Not thread-safe: use one CairndProcess from one thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/common/temp_dir.h"

namespace cairn::server_test {

using test::TempDir;

// The whole content of a file; empty if it cannot be read.
std::string ReadWholeFile(const std::string& path);

// How a reaped process ended.
struct ExitStatus {
  bool exited = false;  // exited normally, with `code`
  int code = 0;
  int signal = 0;  // the terminating signal when !exited

  std::string ToString() const;
};

// What one RunCairnd() saw. status is nullopt when cairnd was still running
// at the timeout (it is then killed).
struct CairndRun {
  std::optional<ExitStatus> status;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs CAIRND_PATH with args in the directory `root` (which also holds the
// captured output) and waits up to `timeout` for it to exit.
CairndRun RunCairnd(const std::string& root, const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

class CairndProcess {
 public:
  // root: an existing directory for the data dir, port file and log.
  // flags: extra command line flags, e.g. {"--fsync", "never"}.
  // data_dir: overrides root/data (to point a second cairnd at the same data).
  CairndProcess(std::string root, std::vector<std::string> flags,
                std::optional<std::string> data_dir = std::nullopt);
  ~CairndProcess();

  CairndProcess(const CairndProcess&) = delete;
  CairndProcess& operator=(const CairndProcess&) = delete;

  // Spawns cairnd and waits for its port file. REQUIRES: not running.
  testing::AssertionResult Start();
  // Spawns cairnd without waiting for the port file (for startup failures).
  // REQUIRES: not running.
  testing::AssertionResult Spawn();
  // Kills the running process, if any, then Start()s again.
  testing::AssertionResult Restart();

  // SIGKILL and reap. No-op when not running.
  void Kill();
  // Sends `signal` (SIGTERM, SIGINT, ...) and returns at once.
  // REQUIRES: running.
  void Signal(int signal);
  // Reaps the process if it ends within `timeout`; nullopt if it is still
  // running then (it is left running), or if no process was running.
  std::optional<ExitStatus> WaitExit(std::chrono::milliseconds timeout);
  // SIGTERM, then WaitExit(timeout).
  std::optional<ExitStatus> Terminate(std::chrono::milliseconds timeout);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The port read from the port file by the last successful Start().
  uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  // The whole log, and its last `bytes` bytes.
  std::string Log() const;
  std::string LogTail(size_t bytes = 4000) const;

 private:
  testing::AssertionResult WaitForPortFile(std::chrono::milliseconds timeout);

  const std::string root_;
  const std::vector<std::string> flags_;
  const std::string data_dir_;
  const std::string port_file_;
  const std::string log_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace cairn::server_test
