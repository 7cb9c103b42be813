#include "tests/server/cairnd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "tests/common/unused_port.h"

#ifndef CAIRND_PATH
#error "CAIRND_PATH must name the cairnd executable (set by tests/server/CMakeLists.txt)"
#endif

namespace cairn::server_test {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(5);
// UnusedPort() can race with another process taking the port first.
constexpr int kStartAttempts = 3;

ExitStatus FromWaitStatus(int status) {
  ExitStatus result;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

// Forks and execs args[0] with stdin from /dev/null and stdout, stderr on
// the given descriptors; the child's pid, or -1 with *error set.
pid_t ForkExec(std::vector<std::string> args, int out_fd, int err_fd, std::string* error) {
  // Everything the child needs is prepared before fork(): after it, the child
  // of a multi-threaded process may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    *error = std::string("open /dev/null: ") + std::strerror(errno);
    return -1;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the parent died before prctl
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    close_range(3, ~0U, 0);  // no test sockets leak into cairnd
    execv(argv[0], argv.data());
    static constexpr char kMessage[] = "cairnd_process: execv failed\n";
    ssize_t unused = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    (void)unused;
    _exit(127);
  }
  const int fork_errno = errno;
  close(null_fd);
  if (pid < 0) *error = std::string("fork: ") + std::strerror(fork_errno);
  return pid;
}

// Reaps pid if it ends within timeout; nullopt if it is still running.
std::optional<ExitStatus> WaitPid(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return FromWaitStatus(status);
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string ExitStatus::ToString() const {
  if (exited) return "exited with code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

CairndProcess::CairndProcess(std::string root, std::vector<std::string> flags,
                             std::optional<std::string> data_dir)
    : root_(std::move(root)),
      flags_(std::move(flags)),
      data_dir_(data_dir ? *data_dir : root_ + "/data"),
      port_file_(root_ + "/port"),
      log_path_(root_ + "/cairnd.log") {}

CairndProcess::~CairndProcess() { Kill(); }

testing::AssertionResult CairndProcess::Spawn() {
  if (running()) return testing::AssertionFailure() << "cairnd is already running";
  std::error_code ignored;
  std::filesystem::remove(port_file_, ignored);
  std::vector<std::string> args = {CAIRND_PATH, "--data-dir", data_dir_, "--port-file", port_file_};
  if (std::find(flags_.begin(), flags_.end(), "--bind") == flags_.end()) {
    args.insert(args.end(), {"--bind", "127.0.0.1"});
  }
  if (std::find(flags_.begin(), flags_.end(), "--port") == flags_.end()) {
    args.insert(args.end(), {"--port", std::to_string(test::UnusedPort())});
  }
  args.insert(args.end(), flags_.begin(), flags_.end());

  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return testing::AssertionFailure() << "open " << log_path_ << ": " << std::strerror(errno);
  }
  std::string error;
  const pid_t pid = ForkExec(args, log_fd, log_fd, &error);
  close(log_fd);
  if (pid < 0) return testing::AssertionFailure() << error;
  pid_ = pid;
  return testing::AssertionSuccess();
}

testing::AssertionResult CairndProcess::Start() {
  for (int attempt = 1;; ++attempt) {
    const size_t log_before = Log().size();
    testing::AssertionResult spawned = Spawn();
    if (!spawned) return spawned;
    testing::AssertionResult listening = WaitForPortFile(kStartTimeout);
    const bool port_taken = !listening && !running() &&
                            Log().find("Address already in use", log_before) != std::string::npos;
    if (!port_taken || attempt == kStartAttempts) return listening;
  }
}

testing::AssertionResult CairndProcess::Restart() {
  Kill();
  return Start();
}

testing::AssertionResult CairndProcess::WaitForPortFile(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::string contents = ReadWholeFile(port_file_);
    if (!contents.empty() && contents.back() == '\n') {
      char* end = nullptr;
      unsigned long port = std::strtoul(contents.c_str(), &end, 10);
      if (end != contents.c_str() && *end == '\n' && port > 0 && port <= 65535) {
        port_ = static_cast<uint16_t>(port);
        return testing::AssertionSuccess();
      }
      return testing::AssertionFailure() << "port file " << port_file_ << " holds \"" << contents
                                         << "\", not a port number\n--- cairnd log tail ---\n"
                                         << LogTail();
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return testing::AssertionFailure()
             << "cairnd " << FromWaitStatus(status).ToString()
             << " before writing its port file\n--- cairnd log tail ---\n"
             << LogTail();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return testing::AssertionFailure()
             << "cairnd did not write its port file " << port_file_ << " within " << timeout.count()
             << " ms\n--- cairnd log tail ---\n"
             << LogTail();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void CairndProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void CairndProcess::Signal(int signal) {
  if (running()) kill(pid_, signal);
}

std::optional<ExitStatus> CairndProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (!running()) return std::nullopt;
  std::optional<ExitStatus> status = WaitPid(pid_, timeout);
  if (status) pid_ = -1;
  return status;
}

std::optional<ExitStatus> CairndProcess::Terminate(std::chrono::milliseconds timeout) {
  Signal(SIGTERM);
  return WaitExit(timeout);
}

CairndRun RunCairnd(const std::string& root, const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout) {
  CairndRun run;
  const std::string out_path = root + "/run.stdout";
  const std::string err_path = root + "/run.stderr";
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<std::string> argv = {CAIRND_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  const pid_t pid = out_fd < 0 || err_fd < 0 ? -1 : ForkExec(argv, out_fd, err_fd, &error);
  if (out_fd >= 0) close(out_fd);
  if (err_fd >= 0) close(err_fd);
  if (pid < 0) {
    ADD_FAILURE() << "cannot run cairnd: " << (error.empty() ? std::strerror(errno) : error);
    return run;
  }
  run.status = WaitPid(pid, timeout);
  if (!run.status) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  run.out = ReadWholeFile(out_path);
  run.err = ReadWholeFile(err_path);
  return run;
}

std::string CairndProcess::Log() const { return ReadWholeFile(log_path_); }

std::string CairndProcess::LogTail(size_t bytes) const {
  std::string log = Log();
  return log.size() <= bytes ? log : "..." + log.substr(log.size() - bytes);
}

}  // namespace cairn::server_test
