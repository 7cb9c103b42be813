// PtyProcess: a child process on a pseudo-terminal (forkpty), to drive an
// interactive program the way a person at a terminal does: keystrokes in,
// screen output (echo and escape sequences included) out.
//
// WaitFor() looks for text in the output not yet matched, and on success
// moves past the match, so waiting twice for the same text waits for its
// second appearance.
// Not thread-safe; use from the test's main thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::client_test {

class PtyProcess {
 public:
  PtyProcess() = default;
  // SIGKILLs a child still running.
  ~PtyProcess();
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  // Starts argv with env on a new 80x24 terminal. REQUIRES: not started.
  testing::AssertionResult Start(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env);
  // Types bytes.
  void Send(std::string_view bytes);
  // Reads until the unmatched output contains text, or fails after timeout
  // showing what was read.
  testing::AssertionResult WaitFor(std::string_view text,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until the child exits; its exit code (128 + signal if killed), or
  // nullopt if it is still running after timeout.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  const std::string& output() const { return output_; }

 private:
  // Appends what the terminal has within timeout; false at end of output.
  bool ReadSome(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int master_fd_ = -1;
  std::string output_;
  size_t matched_ = 0;  // output_[0, matched_) was consumed by WaitFor
};

}  // namespace cairn::client_test
