#include "tests/client/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace cairn::client_test {

namespace {

using Clock = std::chrono::steady_clock;

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::vector<std::string> EnvironmentWith(
    const std::map<std::string, std::optional<std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string variable(*entry);
    if (!overrides.contains(variable.substr(0, variable.find('=')))) env.push_back(variable);
  }
  for (const auto& [name, value] : overrides) {
    if (value) env.push_back(name + "=" + *value);
  }
  return env;
}

pid_t Spawn(const SpawnOptions& options) {
  // Everything the child needs is prepared before fork(): after it, the child
  // of a multi-threaded process may only make async-signal-safe calls.
  std::vector<std::string> argv = options.argv;
  std::vector<std::string> env = options.env;
  std::vector<char*> argv_pointers = Pointers(argv);
  std::vector<char*> env_pointers = Pointers(env);
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  const int fds[3] = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the parent died before prctl
    for (int i = 0; i < 3; ++i) dup2(fds[i] >= 0 ? fds[i] : null_fd, i);
    close_range(3, ~0U, 0);
    execve(argv_pointers[0], argv_pointers.data(), env_pointers.data());
    _exit(127);
  }
  const int fork_errno = errno;
  if (null_fd >= 0) close(null_fd);
  errno = fork_errno;
  return pid;
}

std::optional<int> WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t reaped = waitpid(pid, &status, WNOHANG);
    if (reaped == pid) return ExitCodeOf(status);
    if (reaped < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

RunOutput RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     const std::string& stdin_bytes, std::chrono::milliseconds timeout) {
  RunOutput output;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    output.err = std::string("pipe: ") + std::strerror(errno);
    return output;
  }
  const pid_t pid = Spawn(
      {.argv = argv, .env = env, .stdin_fd = in[0], .stdout_fd = out[1], .stderr_fd = err[1]});
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    output.err = std::string("fork: ") + std::strerror(errno);
    return output;
  }
  // The child may exit without reading its stdin; a write must not kill us.
  signal(SIGPIPE, SIG_IGN);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  int stdin_fd = in[1];
  if (stdin_bytes.empty()) {
    close(stdin_fd);
    stdin_fd = -1;
  }
  int open_outputs = 2;
  const Clock::time_point deadline = Clock::now() + timeout;
  bool timed_out = false;
  while (open_outputs > 0 || stdin_fd >= 0) {
    pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {stdin_fd, POLLOUT, 0}};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[65536];
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        (i == 0 ? output.out : output.err).append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        (i == 0 ? out[0] : err[0]) = -1;
        --open_outputs;
      }
    }
    if (stdin_fd >= 0 && fds[2].revents != 0) {
      const ssize_t n = write(stdin_fd, stdin_bytes.data() + written, stdin_bytes.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_bytes.size()) {
        close(stdin_fd);
        stdin_fd = -1;
      }
    }
  }
  for (int fd : {out[0], err[0], stdin_fd}) {
    if (fd >= 0) close(fd);
  }
  if (timed_out) kill(pid, SIGKILL);
  const std::optional<int> code = WaitExit(pid, std::chrono::seconds(10));
  output.exit_code = timed_out || !code ? -1 : *code;
  return output;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

}  // namespace cairn::client_test
