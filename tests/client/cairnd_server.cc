#include "tests/client/cairnd_server.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "tests/common/unused_port.h"

#ifndef CAIRND_PATH
#error "CAIRND_PATH must name the cairnd executable (set by tests/client/CMakeLists.txt)"
#endif

namespace cairn::client_test {

namespace {

constexpr auto kTimeout = std::chrono::seconds(10);

}  // namespace

CairndServer::CairndServer(std::vector<std::string> flags) : flags_(std::move(flags)) {}

CairndServer::~CairndServer() { Kill(); }

testing::AssertionResult CairndServer::Start() {
  if (running()) return testing::AssertionFailure() << "cairnd is already running";
  const std::string port_file = dir_.file("port");
  std::error_code ignored;
  std::filesystem::remove(port_file, ignored);
  // The first start picks a free port; restarts keep it.
  if (port_ == 0) port_ = test::UnusedPort();
  std::vector<std::string> argv = {CAIRND_PATH, "--data-dir",          dir_.file("data"),
                                   "--port",    std::to_string(port_), "--port-file",
                                   port_file};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  const int log_fd =
      open(dir_.file("cairnd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ =
      Spawn({.argv = argv, .env = EnvironmentWith({}), .stdout_fd = log_fd, .stderr_fd = log_fd});
  close(log_fd);
  if (pid_ < 0) return testing::AssertionFailure() << "fork: " << std::strerror(errno);

  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    // cairnd renames a complete "<port>\n" into place once it listens.
    const std::string contents = ReadFile(port_file);
    if (!contents.empty()) {
      port_ = static_cast<uint16_t>(std::stoul(contents));
      return testing::AssertionSuccess();
    }
    if (std::optional<int> code = WaitExit(pid_, std::chrono::milliseconds(0))) {
      pid_ = -1;
      return testing::AssertionFailure() << "cairnd exited with " << *code << " before listening\n"
                                         << LogTail();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return testing::AssertionFailure() << "cairnd did not listen within 10 s\n" << LogTail();
}

testing::AssertionResult CairndServer::Stop() {
  if (!running()) return testing::AssertionFailure() << "cairnd is not running";
  kill(pid_, SIGTERM);
  const std::optional<int> code = WaitExit(pid_, kTimeout);
  if (!code) {
    Kill();
    return testing::AssertionFailure() << "cairnd ignored SIGTERM for 10 s";
  }
  pid_ = -1;
  if (*code != 0) return testing::AssertionFailure() << "cairnd exited with " << *code;
  return testing::AssertionSuccess();
}

void CairndServer::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  WaitExit(pid_, kTimeout);
  pid_ = -1;
}

std::string CairndServer::LogTail() const {
  const std::string log = ReadFile(dir_.file("cairnd.log"));
  return log.size() <= 4000 ? log : "..." + log.substr(log.size() - 4000);
}

}  // namespace cairn::client_test
