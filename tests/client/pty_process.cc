#include "tests/client/pty_process.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "protocol/text.h"
#include "tests/client/process.h"

namespace cairn::client_test {

PtyProcess::~PtyProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    client_test::WaitExit(pid_, std::chrono::seconds(10));
  }
  if (master_fd_ >= 0) close(master_fd_);
}

testing::AssertionResult PtyProcess::Start(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& env) {
  // Prepared before fork(): the child may only make async-signal-safe calls.
  std::vector<std::string> args = argv, vars = env;
  std::vector<char*> arg_pointers, var_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);
  for (std::string& var : vars) var_pointers.push_back(var.data());
  var_pointers.push_back(nullptr);
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 80;
  const pid_t parent = getpid();
  const pid_t pid = forkpty(&master_fd_, nullptr, nullptr, &size);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    close_range(3, ~0U, 0);
    execve(arg_pointers[0], arg_pointers.data(), var_pointers.data());
    _exit(127);
  }
  if (pid < 0) return testing::AssertionFailure() << "forkpty: " << std::strerror(errno);
  pid_ = pid;
  return testing::AssertionSuccess();
}

void PtyProcess::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(master_fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

bool PtyProcess::ReadSome(std::chrono::milliseconds timeout) {
  pollfd pfd{master_fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return true;
  char buffer[4096];
  const ssize_t n = read(master_fd_, buffer, sizeof(buffer));
  if (n > 0) {
    output_.append(buffer, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && errno == EINTR;  // EIO: the child closed the terminal
}

testing::AssertionResult PtyProcess::WaitFor(std::string_view text,
                                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const size_t found = output_.find(text, matched_);
    if (found != std::string::npos) {
      matched_ = found + text.size();
      return testing::AssertionSuccess();
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !ReadSome(left)) {
      return testing::AssertionFailure()
             << "no " << protocol::QuoteText(text) << " in the terminal output after "
             << protocol::QuoteText(output_.substr(0, matched_)) << " in "
             << protocol::QuoteText(output_.substr(matched_));
    }
  }
}

std::optional<int> PtyProcess::WaitExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Drain the terminal so the child is never blocked writing to it.
  while (std::chrono::steady_clock::now() < deadline && ReadSome(std::chrono::milliseconds(20))) {
    if (std::optional<int> code = client_test::WaitExit(pid_, std::chrono::milliseconds(0))) {
      pid_ = -1;
      return code;
    }
  }
  // The terminal is closed (or time is up): wait out the rest.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  std::optional<int> code =
      client_test::WaitExit(pid_, std::max(left, std::chrono::milliseconds(0)));
  if (code) pid_ = -1;
  return code;
}

}  // namespace cairn::client_test
