// docs/protocol.md section 1: requests sent without waiting are
// executed and answered in order, a read sees every earlier write of its
// connection, and writes of concurrent connections get distinct, ordered
// versions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "protocol/request.h"
#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using namespace std::string_literals;
using protocol::Response;
using protocol::StatusCode;

class PipeliningTest : public CairndTest {};

TEST_F(PipeliningTest, TenThousandPipelinedRequestsAreAnsweredInOrder) {
  // --fsync never keeps this about ordering, not disk latency.
  ASSERT_NO_FATAL_FAILURE(StartServer({"--fsync", "never"}));
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));

  constexpr int kRequests = 10000;
  std::string wire;
  std::vector<Response> expected;
  std::map<std::string, std::pair<std::string, uint64_t>> model;
  uint64_t version = 0;
  for (int i = 0; i < kRequests; ++i) {
    const uint32_t id = 0x9E3779B9u * static_cast<uint32_t>(i + 1);  // distinct, not sequential
    const std::string key = "key" + std::to_string(i % 37);
    protocol::Request request;
    Response answer;
    if (i % 3 == 2) {
      request = GetRequest(key);
      auto it = model.find(key);
      answer = it == model.end() ? Response::NotFound()
                                 : Response::OkValue(it->second.first, it->second.second);
    } else {
      const std::string value = "value" + std::to_string(i);
      request = PutRequest(key, value);
      model[key] = {value, ++version};
      answer = Response::OkVersion(version);
    }
    request.request_id = id;
    answer.request_id = id;
    protocol::EncodeRequest(request, &wire);
    expected.push_back(answer);
  }

  // Send from another thread so neither side can block the other on full
  // socket buffers.
  bool sent = false;
  std::thread sender([&] { sent = client.SendRaw(wire); });
  int mismatches = 0;
  for (int i = 0; i < kRequests; ++i) {
    std::optional<Response> response = client.ReadResponse();
    if (!response) {
      ADD_FAILURE() << "response " << i << " of " << kRequests << ": " << client.error();
      break;
    }
    if (*response != expected[i] && ++mismatches <= 5) {
      ADD_FAILURE() << "response " << i << " is " << testing::PrintToString(*response)
                    << ", expected " << testing::PrintToString(expected[i]);
    }
  }
  sender.join();
  EXPECT_TRUE(sent) << client.error();
  EXPECT_EQ(mismatches, 0);
}

TEST_F(PipeliningTest, PipelinedReadSeesEarlierWritesOfItsConnection) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  std::string wire;
  protocol::EncodeRequest(WithId(PutRequest("k", "a"), 1), &wire);
  protocol::EncodeRequest(WithId(PutRequest("k", "b"), 2), &wire);
  protocol::EncodeRequest(WithId(GetRequest("k"), 3), &wire);
  protocol::EncodeRequest(WithId(DeleteRequest("k"), 4), &wire);
  protocol::EncodeRequest(WithId(GetRequest("k"), 5), &wire);
  protocol::EncodeRequest(WithId(IncrRequest("k", 2), 6), &wire);
  protocol::EncodeRequest(WithId(IncrRequest("k", 3), 7), &wire);
  protocol::EncodeRequest(WithId(ScanRequest("", "", 0), 8), &wire);
  ASSERT_TRUE(client.SendRaw(wire)) << client.error();

  auto with_id = [](Response response, uint32_t id) {
    response.request_id = id;
    return response;
  };
  EXPECT_EQ(Read(&client), with_id(Response::OkVersion(1), 1));
  EXPECT_EQ(Read(&client), with_id(Response::OkVersion(2), 2));
  EXPECT_EQ(Read(&client), with_id(Response::OkValue("b", 2), 3));
  EXPECT_EQ(Read(&client), with_id(Response::OkVersion(3), 4));
  EXPECT_EQ(Read(&client), with_id(Response::NotFound(), 5));
  EXPECT_EQ(Read(&client), with_id(Response::OkValue("2", 4), 6));
  EXPECT_EQ(Read(&client), with_id(Response::OkValue("5", 5), 7));
  EXPECT_EQ(Read(&client), with_id(Response::OkScan({{"k", "5"}}, false), 8));
}

// Writes that arrive in one read go to the writer together: they commit as
// one group, and their answers leave in one send (the client's first recv
// holds all of them).
TEST_F(PipeliningTest, WritesOfOneReadCommitAsOneGroupAndAreAnsweredInOneSend) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--fsync", "never"}));
  // From a connection of its own: the one under test reads raw bytes.
  auto stat = [&](const char* name) {
    TestClient observer;
    EXPECT_TRUE(observer.Connect(port())) << observer.error();
    Response stats = Call(&observer, StatsRequest());
    nlohmann::json json = nlohmann::json::parse(stats.fields.at(0), nullptr, false);
    return json.value(name, uint64_t{0});
  };
  const uint64_t groups_before = stat("write_groups");
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));

  constexpr uint32_t kWrites = 16;
  std::string wire;
  std::string answers;
  for (uint32_t i = 1; i <= kWrites; ++i) {
    protocol::EncodeRequest(WithId(PutRequest("key" + std::to_string(i), "value"), i), &wire);
    Response answer = Response::OkVersion(i);
    answer.request_id = i;
    protocol::EncodeResponse(answer, &answers);
  }
  ASSERT_TRUE(client.SendRaw(wire)) << client.error();
  std::optional<std::string> received = client.ReceiveOnce();
  ASSERT_TRUE(received) << client.error();
  EXPECT_EQ(received->size(), answers.size()) << "the first recv held only part of the answers";
  EXPECT_EQ(*received, answers.substr(0, received->size()));
  EXPECT_EQ(stat("write_groups"), groups_before + 1);
  EXPECT_EQ(stat("writes_committed"), kWrites);
}

TEST_F(PipeliningTest, FrameSplitIntoSingleBytesIsReassembled) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  std::string wire;
  protocol::EncodeRequest(WithId(PutRequest("split", "value"), 11), &wire);
  protocol::EncodeRequest(WithId(GetRequest("split"), 12), &wire);
  for (char byte : wire) {
    ASSERT_TRUE(client.SendRaw(std::string(1, byte))) << client.error();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(Read(&client), (Response{StatusCode::kOk, 11, {protocol::EncodeU64(1)}}));
  EXPECT_EQ(Read(&client), (Response{StatusCode::kOk, 12, {"value", protocol::EncodeU64(1)}}));
}

// One connection's work: it owns the keys "c<n>/..." and checks every answer
// against its own model of them.
struct ConnectionResult {
  std::map<std::string, std::string> model;
  std::vector<uint64_t> write_versions;  // in the order acknowledged
  std::vector<std::string> errors;
};

void MixedWork(uint16_t port, int n, int operations, ConnectionResult* result) {
  auto fail = [&](const std::string& what) {
    result->errors.push_back("c" + std::to_string(n) + ": " + what);
  };
  TestClient client;
  if (!client.Connect(port)) return fail(client.error());
  client.set_timeout(std::chrono::seconds(30));
  std::mt19937 rng(static_cast<uint32_t>(n) * 7919u + 1);
  const std::string prefix = "c" + std::to_string(n) + "/";
  std::map<std::string, std::pair<std::string, uint64_t>> model;  // value, version
  auto call = [&](const protocol::Request& request) -> std::optional<Response> {
    std::optional<Response> response = client.Call(request);
    if (!response) fail("transport: " + client.error());
    return response;
  };
  auto expect = [&](const Response& got, const Response& want, const std::string& what) {
    if (got == want) return true;
    fail(what + ": got " + testing::PrintToString(got) + ", expected " +
         testing::PrintToString(want));
    return false;
  };
  // The version of an acknowledged write: [version], or [value, version]
  // for INCR.
  auto record_write = [&](const Response& got, const std::string& what) -> std::optional<uint64_t> {
    protocol::Result<uint64_t> version = protocol::ResponseVersion(got);
    protocol::Result<protocol::VersionedValue> value = protocol::ResponseValue(got);
    if (got.status != StatusCode::kOk || (!version.ok() && !value.ok())) {
      fail(what + ": got " + testing::PrintToString(got));
      return std::nullopt;
    }
    if (!version.ok()) version = value.value().version;
    if (!result->write_versions.empty() && version.value() <= result->write_versions.back()) {
      fail(what + ": version " + std::to_string(version.value()) + " after " +
           std::to_string(result->write_versions.back()) + " on the same connection");
    }
    result->write_versions.push_back(version.value());
    return version.value();
  };

  for (int i = 0; i < operations && result->errors.empty(); ++i) {
    const std::string key = prefix + "k" + std::to_string(rng() % 4);
    auto it = model.find(key);
    const bool present = it != model.end();
    std::optional<Response> got;
    switch (rng() % 7) {
      case 0: {  // PUT
        std::string value = "v" + std::to_string(i) + "\0x\xff"s;
        if (!(got = call(PutRequest(key, value)))) return;
        if (auto v = record_write(*got, "PUT " + key)) model[key] = {value, *v};
        break;
      }
      case 1:  // GET
        if (!(got = call(GetRequest(key)))) return;
        expect(
            *got,
            present ? Response::OkValue(it->second.first, it->second.second) : Response::NotFound(),
            "GET " + key);
        break;
      case 2:  // DELETE
        if (!(got = call(DeleteRequest(key)))) return;
        if (!present) {
          expect(*got, Response::NotFound(), "DELETE absent " + key);
        } else if (record_write(*got, "DELETE " + key)) {
          model.erase(key);
        }
        break;
      case 3: {  // CAS, right or wrong version
        const uint64_t current = present ? it->second.second : 0;
        const bool right = rng() % 2 == 0;
        const uint64_t expected = right ? current : current + 1000;
        std::string value = "cas" + std::to_string(i);
        if (!(got = call(CasRequest(key, expected, value)))) return;
        if (!right) {
          expect(*got, Response::VersionMismatch(current), "CAS stale " + key);
        } else if (auto v = record_write(*got, "CAS " + key)) {
          model[key] = {value, *v};
        }
        break;
      }
      case 4: {  // INCR on the connection's counter
        const std::string counter = prefix + "n";
        auto c = model.find(counter);
        int64_t now = c == model.end() ? 0 : std::stoll(c->second.first);
        if (!(got = call(IncrRequest(counter, 3)))) return;
        if (auto v = record_write(*got, "INCR " + counter)) {
          protocol::Result<protocol::VersionedValue> value = protocol::ResponseValue(*got);
          std::string want = std::to_string(now + 3);
          if (value.ok() && value.value().value != want) {
            fail("INCR " + counter + ": " + std::string(value.value().value) + ", expected " +
                 want);
          }
          model[counter] = {want, *v};
        }
        break;
      }
      case 5: {  // BATCH: two puts and a delete
        const std::string a = prefix + "k" + std::to_string(rng() % 4);
        const std::string b = prefix + "b" + std::to_string(rng() % 3);
        const std::string d = prefix + "b" + std::to_string(rng() % 3);
        if (a == d || b == d) break;
        std::string value = "batch" + std::to_string(i);
        if (!(got = call(BatchRequest({{false, a, value}, {false, b, value}, {true, d, ""}}))))
          return;
        if (auto v = record_write(*got, "BATCH")) {
          model[a] = {value, *v};
          model[b] = {value, *v};
          model.erase(d);
        }
        break;
      }
      case 6: {  // SCAN of the connection's own keys
        std::string end = prefix;
        end.back() = static_cast<char>(end.back() + 1);
        if (!(got = call(ScanRequest(prefix, end, 0)))) return;
        protocol::Result<protocol::ScanPage> page = protocol::ResponseScan(*got);
        Entries want;
        for (const auto& [k, entry] : model) want.emplace_back(k, entry.first);
        Entries have;
        if (got->status == StatusCode::kOk && page.ok()) {
          for (const auto& [k, v] : page.value().entries) have.emplace_back(k, v);
        }
        if (got->status != StatusCode::kOk || !page.ok() || page.value().more || have != want) {
          fail("SCAN " + prefix + ": got " + testing::PrintToString(*got));
        }
        break;
      }
    }
  }
  for (const auto& [key, entry] : model) result->model[key] = entry.first;
}

TEST_F(PipeliningTest, HundredConcurrentConnectionsMatchTheirModels) {
  ASSERT_NO_FATAL_FAILURE(StartServer());  // fsync always: writes share syncs
  constexpr int kConnections = 100;
  constexpr int kOperations = 40;
  std::vector<ConnectionResult> results(kConnections);
  std::vector<std::thread> threads;
  for (int n = 0; n < kConnections; ++n) {
    threads.emplace_back(MixedWork, port(), n, kOperations, &results[n]);
  }
  for (std::thread& thread : threads) thread.join();

  std::map<std::string, std::string> expected;
  std::vector<uint64_t> versions;
  for (const ConnectionResult& result : results) {
    for (const std::string& error : result.errors) ADD_FAILURE() << error;
    expected.insert(result.model.begin(), result.model.end());
    versions.insert(versions.end(), result.write_versions.begin(), result.write_versions.end());
  }
  std::sort(versions.begin(), versions.end());
  EXPECT_TRUE(std::adjacent_find(versions.begin(), versions.end()) == versions.end())
      << "two acknowledged writes share a version";
  if (!versions.empty()) {
    // Every committed write was acknowledged here, so the versions are 1..N.
    EXPECT_EQ(versions.front(), 1u);
    EXPECT_EQ(versions.back(), versions.size());
  }

  TestClient checker;
  ASSERT_NO_FATAL_FAILURE(Connect(&checker));
  EXPECT_EQ(ScanAll(&checker), expected);
  Response stats = Call(&checker, StatsRequest());
  ASSERT_EQ(stats.status, StatusCode::kOk);
  nlohmann::json json = nlohmann::json::parse(stats.fields.at(0), nullptr, false);
  EXPECT_EQ(json.value("keys", -1), static_cast<int64_t>(expected.size())) << stats.fields[0];
  EXPECT_EQ(json.value("last_version", -1), static_cast<int64_t>(versions.size()))
      << stats.fields[0];
}

}  // namespace
}  // namespace cairn::server_test
