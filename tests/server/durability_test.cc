// Durability across process lifetimes (docs/protocol.md section 3): a
// restart keeps every acknowledged write and continues the version sequence;
// SIGTERM and SIGINT shut down cleanly with exit code 0; a kill -9 in the
// middle of concurrent writes loses no acknowledged write under any fsync
// policy, and never shows half a BATCH.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/response.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using namespace std::string_literals;
using protocol::Response;
using protocol::StatusCode;

// What a client knows for certain about the store: every acknowledged
// write's effect, with the version it was given.
using Model = std::map<std::string, std::pair<std::string, uint64_t>>;

void ExpectStoreMatches(TestClient* client, const Model& model) {
  std::map<std::string, std::string> expected;
  for (const auto& [key, entry] : model) {
    expected[key] = entry.first;
    EXPECT_EQ(Call(client, GetRequest(key)), Response::OkValue(entry.first, entry.second))
        << "key " << protocol::QuoteText(key);
  }
  EXPECT_EQ(ScanAll(client), expected);
}

class DurabilityTest : public CairndTest {
 protected:
  // A mix of every kind of write; returns the model and the last version.
  uint64_t WriteMix(TestClient* client, Model* model, const std::string& tag) {
    uint64_t version = 0;
    for (int i = 0; i < 20; ++i) {
      std::string key = tag + "key" + std::to_string(i);
      std::string value = tag + "value" + std::to_string(i) + "\0\xff"s;
      version = PutOk(client, key, value);
      (*model)[key] = {value, version};
    }
    for (int i = 0; i < 20; i += 3) {
      std::string key = tag + "key" + std::to_string(i);
      Response response = Call(client, DeleteRequest(key));
      EXPECT_EQ(response.status, StatusCode::kOk) << testing::PrintToString(response);
      version = VersionOf(response);
      model->erase(key);
    }
    Response batch = Call(client, BatchRequest({{false, tag + "b1", "one"},
                                                {false, tag + "key1", "overwritten"},
                                                {true, tag + "key2", ""}}));
    version = VersionOf(batch);
    (*model)[tag + "b1"] = {"one", version};
    (*model)[tag + "key1"] = {"overwritten", version};
    model->erase(tag + "key2");
    version = ValueVersionOf(Call(client, IncrRequest(tag + "counter", 41)));
    (*model)[tag + "counter"] = {"41", version};
    Response cas = Call(client, CasRequest(tag + "cas", 0, "created"));
    version = VersionOf(cas);
    (*model)[tag + "cas"] = {"created", version};
    return version;
  }
};

TEST_F(DurabilityTest, RestartAfterKillKeepsEveryAcknowledgedWrite) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Model model;
  uint64_t last = 0;
  {
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    last = WriteMix(&client, &model, "");
  }
  ASSERT_NO_FATAL_FAILURE(RestartServer());  // SIGKILL, then start again
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  ExpectStoreMatches(&client, model);
  // Versions never repeat across restarts.
  EXPECT_EQ(Call(&client, PutRequest("after", "restart")), Response::OkVersion(last + 1));
}

TEST_F(DurabilityTest, SigtermExitsZeroAndKeepsTheData) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Model model;
  TestClient idle;  // an open connection must not hold up the shutdown
  ASSERT_NO_FATAL_FAILURE(Connect(&idle));
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  uint64_t last = WriteMix(&client, &model, "t/");
  std::optional<ExitStatus> status = server_->Terminate(std::chrono::seconds(10));
  ASSERT_TRUE(status) << "cairnd still running 10 s after SIGTERM";
  EXPECT_TRUE(status->exited && status->code == 0) << status->ToString();
  EXPECT_TRUE(idle.WaitForClose(std::chrono::seconds(3))) << idle.error();

  ASSERT_TRUE(server_->Start());
  TestClient after;
  ASSERT_NO_FATAL_FAILURE(Connect(&after));
  ExpectStoreMatches(&after, model);
  EXPECT_EQ(Call(&after, PutRequest("next", "1")), Response::OkVersion(last + 1));
}

TEST_F(DurabilityTest, SigintExitsZero) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  EXPECT_EQ(Call(&client, PutRequest("k", "v")), Response::OkVersion(1));
  server_->Signal(SIGINT);
  std::optional<ExitStatus> status = server_->WaitExit(std::chrono::seconds(10));
  ASSERT_TRUE(status) << "cairnd still running 10 s after SIGINT";
  EXPECT_TRUE(status->exited && status->code == 0) << status->ToString();
  ASSERT_TRUE(server_->Start());
  TestClient after;
  ASSERT_NO_FATAL_FAILURE(Connect(&after));
  EXPECT_EQ(Call(&after, GetRequest("k")), Response::OkValue("v", 1));
}

// A client that sends and never reads cannot be answered: the shutdown
// gives up on it after its grace period (5 s) and still exits cleanly, the
// connection torn down with the event loop (under ASan, a use of anything
// freed before that fails the exit code).
TEST_F(DurabilityTest, SigtermExitsZeroPastAClientThatNeverReads) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  const std::string big(1 << 20, 'v');
  EXPECT_EQ(Call(&client, PutRequest("big", big)), Response::OkVersion(1));
  std::string wire;
  for (int i = 0; i < 64; ++i) protocol::EncodeRequest(GetRequest("big"), &wire);
  ASSERT_TRUE(client.SendRaw(wire)) << client.error();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // answers fill the socket
  std::optional<ExitStatus> status = server_->Terminate(std::chrono::seconds(15));
  ASSERT_TRUE(status) << "cairnd still running 15 s after SIGTERM";
  EXPECT_TRUE(status->exited && status->code == 0) << status->ToString();
}

TEST_F(DurabilityTest, SigtermDuringPipelinedWritesLosesNoAcknowledgedWrite) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  constexpr int kWrites = 300;
  std::string wire;
  for (int i = 0; i < kWrites; ++i) {
    protocol::EncodeRequest(WithId(PutRequest("p" + std::to_string(i), std::to_string(i)), i),
                            &wire);
  }
  ASSERT_TRUE(client.SendRaw(wire)) << client.error();
  Response first = Read(&client);
  ASSERT_EQ(first.status, StatusCode::kOk) << testing::PrintToString(first);
  server_->Signal(SIGTERM);

  // Every answer comes in order; each is OK or SHUTTING_DOWN; then the
  // connection closes.
  Model acknowledged;
  acknowledged["p0"] = {"0", VersionOf(first)};
  for (int i = 1; i < kWrites; ++i) {
    std::optional<Response> response = client.ReadResponse();
    if (!response) {
      EXPECT_TRUE(client.closed()) << "answer " << i << ": " << client.error();
      break;
    }
    EXPECT_EQ(response->request_id, static_cast<uint32_t>(i));
    if (response->status == StatusCode::kOk) {
      acknowledged["p" + std::to_string(i)] = {std::to_string(i), VersionOf(*response)};
    } else {
      EXPECT_EQ(response->status, StatusCode::kShuttingDown) << testing::PrintToString(*response);
    }
  }
  std::optional<ExitStatus> status = server_->WaitExit(std::chrono::seconds(10));
  ASSERT_TRUE(status) << "cairnd still running 10 s after SIGTERM";
  EXPECT_TRUE(status->exited && status->code == 0) << status->ToString();

  ASSERT_TRUE(server_->Start());
  TestClient after;
  ASSERT_NO_FATAL_FAILURE(Connect(&after));
  for (const auto& [key, entry] : acknowledged) {
    EXPECT_EQ(Call(&after, GetRequest(key)), Response::OkValue(entry.first, entry.second))
        << "acknowledged " << key << " lost";
  }
}

TEST_F(DurabilityTest, SnapshotThenKillRecoversEverything) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Model model;
  {
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    uint64_t last = WriteMix(&client, &model, "before/");
    EXPECT_EQ(Call(&client, SnapshotRequest()), Response::OkVersion(last));
    WriteMix(&client, &model, "after/");
    // Overwrite and delete keys the snapshot holds.
    uint64_t v = PutOk(&client, "before/key4", "newer");
    model["before/key4"] = {"newer", v};
    EXPECT_EQ(Call(&client, DeleteRequest("before/key5")).status, StatusCode::kOk);
    model.erase("before/key5");
  }
  ASSERT_NO_FATAL_FAILURE(RestartServer());
  {
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    ExpectStoreMatches(&client, model);
    EXPECT_EQ(Call(&client, SnapshotRequest()).status, StatusCode::kOk);
  }
  ASSERT_NO_FATAL_FAILURE(RestartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  ExpectStoreMatches(&client, model);
}

TEST_F(DurabilityTest, AutomaticSnapshotsLoseNothing) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--snapshot-every-bytes", "4096", "--fsync", "never"}));
  Model model;
  {
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    for (int i = 0; i < 400; ++i) {
      std::string key = "k" + std::to_string(i % 150);
      std::string value(100, static_cast<char>('a' + i % 26));
      uint64_t v = PutOk(&client, key, value);
      model[key] = {value, v};
      if (i % 7 == 0) {
        std::string gone = "k" + std::to_string((i * 13) % 150);
        Response response = Call(&client, DeleteRequest(gone));
        if (response.status == StatusCode::kOk) {
          model.erase(gone);
        } else {
          EXPECT_EQ(response, Response::NotFound());
        }
      }
    }
  }
  ASSERT_NO_FATAL_FAILURE(RestartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  ExpectStoreMatches(&client, model);
}

// Per-key knowledge of one writer: values are "<writer>/<seq>", so the seq
// of whatever is recovered can be compared with what was sent and acked.
struct KeyTrack {
  int sent_seq = -1;   // last seq sent for the key
  int acked_seq = -1;  // last seq acknowledged for the key
  uint64_t acked_version = 0;
};

struct WriterState {
  std::map<std::string, KeyTrack> keys;
  int acked = 0;
  std::string unexpected;  // an answer that was neither OK nor a dead connection
};

int SeqOf(const std::string& value, const std::string& prefix) {
  if (value.compare(0, prefix.size(), prefix) != 0) return -2;
  return std::stoi(value.substr(prefix.size()));
}

class KillDuringWritesTest : public CairndTest, public testing::WithParamInterface<const char*> {};

TEST_P(KillDuringWritesTest, LosesNoAcknowledgedWrite) {
  ASSERT_NO_FATAL_FAILURE(
      // Small automatic snapshots, so the kill may also land in one.
      StartServer({"--fsync", GetParam(), "--fsync-interval-ms", "50", "--shards", "4",
                   "--snapshot-every-bytes", "16384"}));
  constexpr int kPutWriters = 4;
  constexpr int kKeysPerWriter = 16;
  std::vector<WriterState> writers(kPutWriters + 1);  // the last one writes BATCHes
  std::atomic<int> total_acked{0};
  std::atomic<bool> stop{false};
  const uint16_t server_port = port();
  std::vector<std::thread> threads;
  for (int w = 0; w <= kPutWriters; ++w) {
    threads.emplace_back([&, w] {
      WriterState& state = writers[w];
      TestClient client;
      if (!client.Connect(server_port)) {
        state.unexpected = client.error();
        return;
      }
      const bool batch = w == kPutWriters;
      const std::string prefix = "w" + std::to_string(w) + "/";
      for (int seq = 0; !stop.load(); ++seq) {
        const std::string value = prefix + std::to_string(seq);
        protocol::Request request;
        std::vector<std::string> keys;
        if (batch) {
          keys = {"batch/x", "batch/y", "batch/z"};
          request = BatchRequest(
              {{false, keys[0], value}, {false, keys[1], value}, {false, keys[2], value}});
        } else {
          keys = {prefix + "k" + std::to_string(seq % kKeysPerWriter)};
          request = PutRequest(keys[0], value);
        }
        for (const std::string& key : keys) state.keys[key].sent_seq = seq;
        std::optional<Response> response = client.Call(request);
        if (!response) return;  // killed
        protocol::Result<uint64_t> version = protocol::ResponseVersion(*response);
        if (response->status != StatusCode::kOk || !version.ok()) {
          state.unexpected = testing::PrintToString(*response);
          return;
        }
        for (const std::string& key : keys) {
          state.keys[key].acked_seq = seq;
          state.keys[key].acked_version = version.value();
        }
        ++state.acked;
        ++total_acked;
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (total_acked.load() < 400 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server_->Kill();  // SIGKILL while the writers are still writing
  stop = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_GT(total_acked.load(), 0);

  ASSERT_TRUE(server_->Start());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  uint64_t max_acked_version = 0;
  for (int w = 0; w <= kPutWriters; ++w) {
    const WriterState& state = writers[w];
    EXPECT_TRUE(state.unexpected.empty()) << "writer " << w << ": " << state.unexpected;
    const std::string prefix = "w" + std::to_string(w) + "/";
    std::vector<std::string> batch_values;  // what the BATCH keys hold now
    for (const auto& [key, track] : state.keys) {
      max_acked_version = std::max(max_acked_version, track.acked_version);
      Response got = Call(&client, GetRequest(key));
      if (got.status == StatusCode::kNotFound) {
        EXPECT_EQ(track.acked_seq, -1) << key << " lost; its write " << track.acked_seq
                                       << " was acknowledged at version " << track.acked_version;
        batch_values.push_back("<absent>");
        continue;
      }
      protocol::Result<protocol::VersionedValue> value = protocol::ResponseValue(got);
      ASSERT_TRUE(got.status == StatusCode::kOk && value.ok()) << testing::PrintToString(got);
      const std::string recovered(value.value().value);
      const int seq = SeqOf(recovered, prefix);
      EXPECT_GE(seq, track.acked_seq) << key << " recovered " << recovered
                                      << ", older than the acknowledged write " << track.acked_seq;
      EXPECT_LE(seq, track.sent_seq) << key << " recovered " << recovered << ", never written";
      if (seq == track.acked_seq) {
        EXPECT_EQ(value.value().version, track.acked_version) << key;
      }
      batch_values.push_back(recovered);
    }
    if (w == kPutWriters && !batch_values.empty()) {
      EXPECT_EQ(batch_values, std::vector<std::string>(batch_values.size(), batch_values[0]))
          << "part of a BATCH recovered without the rest";
    }
  }
  // Versions continue after the highest acknowledged one.
  Response next = Call(&client, PutRequest("after-crash", "1"));
  ASSERT_EQ(next.status, StatusCode::kOk);
  EXPECT_GT(VersionOf(next), max_acked_version);
}

INSTANTIATE_TEST_SUITE_P(FsyncPolicies, KillDuringWritesTest,
                         testing::Values("always", "interval", "never"),
                         [](const testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace cairn::server_test
