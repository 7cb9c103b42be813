// CairndServer: the real cairnd (CAIRND_PATH, set by CMake) as a child
// process for the client tests, on a temporary data directory. The first
// start picks a free port (test::UnusedPort); a restart reuses it, so a
// Client pointed at it can reconnect to the restarted server.
//
// Layout under dir(): data/ (the data directory), port (the --port-file),
// cairnd.log (stdout and stderr, appended across restarts); tests may put
// other files there (a token file).
// Not thread-safe; start and stop from the test's main thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/client/process.h"

namespace cairn::client_test {

class CairndServer {
 public:
  // flags: extra command line flags, e.g. {"--max-value-bytes", "1024"}.
  explicit CairndServer(std::vector<std::string> flags = {});
  // SIGKILLs a server still running.
  ~CairndServer();
  CairndServer(const CairndServer&) = delete;
  CairndServer& operator=(const CairndServer&) = delete;

  // Starts cairnd and waits (10 s) until it listens. REQUIRES: not running.
  testing::AssertionResult Start();
  // SIGTERM; succeeds when cairnd exits 0 within 10 s.
  testing::AssertionResult Stop();
  // SIGKILL and reap.
  void Kill();

  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  std::string LogTail() const;

 private:
  TempDir dir_;
  const std::vector<std::string> flags_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;  // 0 until the first start has listened
};

}  // namespace cairn::client_test
