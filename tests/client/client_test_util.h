// Shared pieces of the client library tests: a fixture that runs a real
// cairnd on a fresh data directory and points Clients at it, and gtest
// helpers for Status and Result.
//
// - StartServer(flags) is fatal on failure: call it as
//   ASSERT_NO_FATAL_FAILURE(StartServer()).
// - Ok(status or result) is an AssertionResult that prints the status.
// - A port with nothing listening: test::UnusedPort() (tests/common).
// - TearDown prints the tail of cairnd's log when the test failed.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "client/client.h"
#include "client/status.h"
#include "protocol/text.h"
#include "tests/client/cairnd_server.h"
#include "tests/common/unused_port.h"

namespace cairn {

// Lets gtest print a Status, and tests stream one: "TOO_LARGE: value of ...".
inline std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.ToString();
}

}  // namespace cairn

namespace cairn::client_test {

using namespace std::chrono_literals;

inline testing::AssertionResult Ok(const Status& status) {
  if (status.ok()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << status.ToString();
}

template <typename T>
testing::AssertionResult Ok(const Result<T>& result) {
  return Ok(result.status());
}

// Bytes that a text-based API would mangle.
inline std::string Nasty(std::string_view tail = "") {
  return std::string("a\0b\r\nc\xff\xfe\x01\"\\ ", 13) + std::string(tail);
}

class ClientTest : public testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<CairndServer>(std::move(flags));
    ASSERT_TRUE(server_->Start());
  }

  // Options for the running server, with timeouts short enough for tests.
  ClientOptions Options() const {
    ClientOptions options;
    options.host = "127.0.0.1";
    options.port = server_->port();
    options.connect_timeout = 2s;
    options.io_timeout = 20s;
    return options;
  }

  void TearDown() override {
    if (server_ != nullptr && HasFailure()) {
      std::cerr << "--- cairnd log tail ---\n" << server_->LogTail() << "\n--- end ---\n";
    }
  }

  std::unique_ptr<CairndServer> server_;
};

}  // namespace cairn::client_test
