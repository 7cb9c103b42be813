// Shared pieces of the cairnd integration tests: a gtest fixture owning one
// temporary directory and one cairnd process, call helpers that turn
// transport failures into test failures, and a printer for responses.
//
// Contract:
// - CairndTest::StartServer(flags) starts cairnd on a fresh data directory;
//   it is fatal on failure, so call it as ASSERT_NO_FATAL_FAILURE(...).
// - Call() never returns a transport failure silently: a timeout, close or
//   malformed frame adds a test failure and yields an IO_ERROR response whose
//   message starts with "transport:".
// - TearDown fails the test if cairnd died on its own during the test, and
//   prints the tail of cairnd's log whenever the test failed.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "protocol/codes.h"
#include "protocol/frame.h"
#include "protocol/response.h"
#include "protocol/text.h"
#include "tests/server/cairnd_process.h"
#include "tests/server/test_client.h"

namespace cairn::protocol {

// Lets gtest print responses: OK ["value", "\x00...\x03" (u64 3)].
inline void PrintTo(const Response& response, std::ostream* os) {
  *os << StatusName(response.status) << " id=" << response.request_id << " [";
  for (size_t i = 0; i < response.fields.size(); ++i) {
    if (i > 0) *os << ", ";
    *os << QuoteText(response.fields[i]);
    if (auto value = DecodeU64(response.fields[i])) *os << " (u64 " << *value << ")";
  }
  *os << "]";
}

}  // namespace cairn::protocol

namespace cairn::server_test {

using namespace std::chrono_literals;

// The version a [version u64] response carries; a test failure and 0 if the
// response has another shape.
inline uint64_t VersionOf(const protocol::Response& response) {
  protocol::Result<uint64_t> version = protocol::ResponseVersion(response);
  if (!version.ok()) {
    ADD_FAILURE() << version.error().message << " in " << testing::PrintToString(response);
    return 0;
  }
  return version.value();
}

// The version of an OK [value, version u64] response (GET, INCR); a test
// failure and 0 if the response is anything else.
inline uint64_t ValueVersionOf(const protocol::Response& response) {
  protocol::Result<protocol::VersionedValue> value = protocol::ResponseValue(response);
  if (response.status != protocol::StatusCode::kOk || !value.ok()) {
    ADD_FAILURE() << "expected OK [value, version], got " << testing::PrintToString(response);
    return 0;
  }
  return value.value().version;
}

// The message of an error response ("" and a test failure if it has none).
inline std::string MessageOf(const protocol::Response& response) {
  if (response.fields.size() != 1) {
    ADD_FAILURE() << "expected [message] in " << testing::PrintToString(response);
    return "";
  }
  return response.fields[0];
}

inline protocol::Response Call(TestClient* client, const protocol::Request& request) {
  std::optional<protocol::Response> response = client->Call(request);
  if (response) return std::move(*response);
  ADD_FAILURE() << "transport failure on " << protocol::OpcodeName(request.opcode) << ": "
                << client->error();
  return protocol::Response::Failure(protocol::StatusCode::kIoError,
                                     "transport: " + client->error());
}

inline protocol::Response Read(TestClient* client) {
  std::optional<protocol::Response> response = client->ReadResponse();
  if (response) return std::move(*response);
  ADD_FAILURE() << "transport failure reading a response: " << client->error();
  return protocol::Response::Failure(protocol::StatusCode::kIoError,
                                     "transport: " + client->error());
}

// Version of a PUT that must succeed.
inline uint64_t PutOk(TestClient* client, const std::string& key, const std::string& value) {
  protocol::Response response = Call(client, PutRequest(key, value));
  EXPECT_EQ(response.status, protocol::StatusCode::kOk)
      << "PUT " << protocol::QuoteText(key) << ": " << testing::PrintToString(response);
  return response.status == protocol::StatusCode::kOk ? VersionOf(response) : 0;
}

using Entries = std::vector<std::pair<std::string, std::string>>;

// The entries and more flag of an OK SCAN answer; a test failure if the
// answer is not one.
struct ScanResult {
  Entries entries;
  bool more = false;
};
inline ScanResult ScanOf(const protocol::Response& response) {
  ScanResult result;
  if (response.status != protocol::StatusCode::kOk) {
    ADD_FAILURE() << "SCAN failed: " << testing::PrintToString(response);
    return result;
  }
  protocol::Result<protocol::ScanPage> page = protocol::ResponseScan(response);
  if (!page.ok()) {
    ADD_FAILURE() << page.error().message << " in " << testing::PrintToString(response);
    return result;
  }
  for (const auto& [key, value] : page.value().entries) {
    result.entries.emplace_back(std::string(key), std::string(value));
  }
  result.more = page.value().more;
  return result;
}

// Every key and value in [start, end), paging with SCAN (limit per page) and
// start = last key + 0x00, as docs/protocol.md says.
inline std::map<std::string, std::string> ScanAll(TestClient* client, std::string start = "",
                                                  const std::string& end = "", uint32_t limit = 0) {
  std::map<std::string, std::string> all;
  for (int pages = 0; pages < 100000; ++pages) {
    ScanResult page = ScanOf(Call(client, ScanRequest(start, end, limit)));
    for (auto& [key, value] : page.entries) {
      EXPECT_TRUE(all.emplace(key, value).second)
          << "SCAN returned " << protocol::QuoteText(key) << " twice";
    }
    if (!page.more) break;
    if (page.entries.empty()) {
      ADD_FAILURE() << "SCAN answered more=1 with no entries";
      break;
    }
    start = page.entries.back().first + std::string(1, '\0');
  }
  return all;
}

class CairndTest : public testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<CairndProcess>(dir_.path(), std::move(flags));
    ASSERT_TRUE(server_->Start());
  }

  // Kills cairnd and starts it again on the same data and flags.
  void RestartServer() { ASSERT_TRUE(server_->Restart()); }

  uint16_t port() const { return server_->port(); }

  void Connect(TestClient* client) { ASSERT_TRUE(client->Connect(port())) << client->error(); }

  void TearDown() override {
    if (server_ == nullptr) return;
    if (server_->running()) {
      if (std::optional<ExitStatus> died = server_->WaitExit(0ms)) {
        ADD_FAILURE() << "cairnd died during the test: " << died->ToString();
      }
    }
    if (HasFailure()) {
      std::cerr << "--- cairnd log tail (" << server_->log_path() << ") ---\n"
                << server_->LogTail() << "\n--- end of log tail ---\n";
    }
  }

  TempDir dir_;
  std::unique_ptr<CairndProcess> server_;
};

}  // namespace cairn::server_test
