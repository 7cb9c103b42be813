// cairnd's process contract: the port file, the data directory lock that
// keeps a second cairnd off the same data, startup failures that exit 1, and
// the JSON log format.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/response.h"
#include "tests/common/unused_port.h"
#include "tests/server/server_test_util.h"

namespace cairn::server_test {
namespace {

using protocol::Response;

class StartupTest : public CairndTest {};

TEST_F(StartupTest, PortFileHoldsTheListeningPortAndANewline) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string contents = ReadWholeFile(dir_.file("port"));
  EXPECT_TRUE(std::regex_match(contents, std::regex("[1-9][0-9]*\n"))) << contents;
  EXPECT_EQ(contents, std::to_string(port()) + "\n");
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  EXPECT_EQ(Call(&client, PingRequest()), Response::Ok());
  // Written by rename: no temporary file is left next to it.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "port" || name == "data" || name == "cairnd.log")
        << "unexpected file " << name << " next to the port file";
  }
}

TEST_F(StartupTest, SecondCairndOnTheSameDataDirExitsNonZeroNamingTheLock) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TestClient client;
  ASSERT_NO_FATAL_FAILURE(Connect(&client));
  EXPECT_EQ(Call(&client, PutRequest("k", "v")), Response::OkVersion(1));

  TempDir other_root;
  CairndProcess second(other_root.path(), {}, server_->data_dir());
  ASSERT_TRUE(second.Spawn());
  std::optional<ExitStatus> status = second.WaitExit(std::chrono::seconds(10));
  ASSERT_TRUE(status) << "the second cairnd is still running on a locked data dir\n"
                      << second.LogTail();
  EXPECT_TRUE(status->exited && status->code == 1) << status->ToString();
  EXPECT_NE(second.Log().find("in use by another process"), std::string::npos)
      << "log of the second cairnd:\n"
      << second.LogTail();
  EXPECT_FALSE(std::filesystem::exists(other_root.file("port")));

  // The first one is unharmed.
  EXPECT_EQ(Call(&client, GetRequest("k")), Response::OkValue("v", 1));
  EXPECT_EQ(Call(&client, PutRequest("k2", "v2")), Response::OkVersion(2));
}

TEST_F(StartupTest, LockIsReleasedWhenTheHolderIsKilled) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  server_->Kill();
  TempDir other_root;
  CairndProcess second(other_root.path(), {}, server_->data_dir());
  ASSERT_TRUE(second.Start());
  TestClient client;
  ASSERT_TRUE(client.Connect(second.port())) << client.error();
  EXPECT_EQ(Call(&client, PingRequest()), Response::Ok());
}

// Mode bits of path itself (a symbolic link is not followed).
mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << "lstat " << path;
    return 0;
  }
  return st.st_mode & 07777;
}

std::string Octal(mode_t mode) {
  std::ostringstream out;
  out << std::oct << mode;
  return out.str();
}

// The data directory holds every key: what cairnd creates in it is the
// owner's alone, whatever the umask lets through (the tests run under 022).
TEST_F(StartupTest, DataDirectoryAndEveryFileItCreatesArePrivate) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--snapshot-every-bytes", "0", "--segment-bytes", "4096"}));
  {
    TestClient client;
    ASSERT_NO_FATAL_FAILURE(Connect(&client));
    for (int i = 0; i < 40; ++i) {
      EXPECT_EQ(Call(&client, PutRequest("k" + std::to_string(i), std::string(100, 'v'))).status,
                protocol::StatusCode::kOk);
      if (i == 20) {
        EXPECT_EQ(Call(&client, SnapshotRequest()).status, protocol::StatusCode::kOk);
      }
    }
  }
  std::optional<ExitStatus> stopped = server_->Terminate(std::chrono::seconds(10));
  ASSERT_TRUE(stopped && stopped->exited && stopped->code == 0);

  // Damage the newest segment so point-in-time recovery moves it to
  // lost+found/ and starts a fresh one.
  std::string newest;
  for (const auto& entry : std::filesystem::directory_iterator(server_->data_dir())) {
    const std::string name = entry.path().string();
    if (entry.path().extension() == ".wal" && name > newest) newest = name;
  }
  ASSERT_FALSE(newest.empty());
  {
    std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(newest) / 2));
    f.put('\x42');
  }
  TempDir other_root;
  CairndProcess recovered(other_root.path(), {"--recovery", "point-in-time"}, server_->data_dir());
  ASSERT_TRUE(recovered.Start());
  ASSERT_TRUE(recovered.Terminate(std::chrono::seconds(10)));

  EXPECT_EQ(ModeOf(server_->data_dir()), 0700u) << Octal(ModeOf(server_->data_dir()));
  EXPECT_TRUE(std::filesystem::is_directory(server_->data_dir() + "/lost+found"));
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(server_->data_dir())) {
    const std::string path = entry.path().string();
    const mode_t want = entry.is_directory() ? 0700 : 0600;
    EXPECT_EQ(ModeOf(path), want) << path << " is " << Octal(ModeOf(path));
    ++files;
  }
  EXPECT_GE(files, 5) << "expected LOCK, segments, snapshots and lost+found/";
}

// A LOCK that is a symbolic link would make cairnd create or lock whatever
// it points at; it is refused, and its target is left alone.
TEST(StartupFailureTest, LockFileThatIsASymlinkIsRefused) {
  TempDir dir;
  const std::string data = dir.file("data");
  std::filesystem::create_directory(data);
  const std::string target = dir.file("elsewhere");
  std::ofstream(target) << "not a lock\n";
  std::filesystem::create_symlink(target, data + "/LOCK");
  CairndProcess server(dir.path(), {});
  ASSERT_TRUE(server.Spawn());
  std::optional<ExitStatus> status = server.WaitExit(std::chrono::seconds(10));
  ASSERT_TRUE(status) << "cairnd is serving through a symlinked LOCK\n" << server.LogTail();
  EXPECT_TRUE(status->exited && status->code == 1) << status->ToString();
  EXPECT_NE(server.Log().find(data + "/LOCK: is a symbolic link"), std::string::npos)
      << server.LogTail();
  EXPECT_EQ(ReadWholeFile(target), "not a lock\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("port")));
}

TEST(StartupFailureTest, BadFlagsExitWithCodeOne) {
  const std::vector<std::vector<std::string>> bad = {
      {"--fsync", "sometimes"}, {"--log-format", "xml"}, {"--log-level", "loud"},
      {"--shards", "many"},     {"--no-such-flag", "1"},
  };
  for (const auto& flags : bad) {
    SCOPED_TRACE(testing::PrintToString(flags));
    TempDir dir;
    CairndProcess server(dir.path(), flags);
    ASSERT_TRUE(server.Spawn());
    std::optional<ExitStatus> status = server.WaitExit(std::chrono::seconds(10));
    ASSERT_TRUE(status) << "cairnd is still running with bad flags\n" << server.LogTail();
    EXPECT_TRUE(status->exited && status->code == 1) << status->ToString();
    EXPECT_FALSE(std::filesystem::exists(dir.file("port")));
  }
}

// Runs cairnd --config FILE (FILE holding `contents`, or `path` as given when
// contents is nullopt) and expects exit 1 with one line on stderr that names
// the file and holds every one of `expected`, and nothing on stdout.
void ExpectConfigError(const std::optional<std::string>& contents,
                       const std::vector<std::string>& expected,
                       const std::vector<std::string>& not_expected = {}) {
  TempDir dir;
  std::string path = dir.path();  // a directory, when there are no contents
  if (contents) {
    path = dir.file("cairn.json");
    std::ofstream(path) << *contents;
  }
  CairndRun run = RunCairnd(dir.path(), {"--config", path, "--data-dir", dir.file("data")});
  ASSERT_TRUE(run.status) << "cairnd is still running with a bad config file";
  EXPECT_TRUE(run.status->exited && run.status->code == 1)
      << run.status->ToString() << "\nstderr: " << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(run.err.rfind("cairnd: ", 0) == 0 && run.err.find('\n') == run.err.size() - 1)
      << "not one line: " << run.err;
  EXPECT_NE(run.err.find(path), std::string::npos) << run.err;
  for (const std::string& part : expected)
    EXPECT_NE(run.err.find(part), std::string::npos) << run.err;
  for (const std::string& part : not_expected) {
    EXPECT_EQ(run.err.find(part), std::string::npos) << run.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("data")));
}

TEST(ConfigFileErrorTest, ADirectoryIsRefusedByName) {
  ExpectConfigError(std::nullopt, {"is a directory"});
}

TEST(ConfigFileErrorTest, ASyntaxErrorNamesLineAndColumn) {
  // A trailing comma: the '}' on line 3 is where a key was expected.
  ExpectConfigError("{\n  \"port\": 7070,\n}\n", {"line 3, column 1: syntax error"},
                    {"not a JSON object"});
  // A missing comma: the column is that of the unexpected token's last byte.
  ExpectConfigError("// settings\n{\"port\": 7070 \"shards\": 2}", {"line 2, column 22"});
}

TEST(ConfigFileErrorTest, ADocumentThatIsNotAnObjectSaysSo) {
  ExpectConfigError("[1, 2]", {"not a JSON object"});
}

TEST(ConfigFileErrorTest, ANearMissKeySuggestsTheRightOne) {
  ExpectConfigError(R"({"data-dir": "x"})",
                    {R"(unknown config key "data-dir")", R"(did you mean "data_dir"?)"});
  ExpectConfigError(R"({"max_conections": 5})", {R"(did you mean "max_connections"?)"});
  ExpectConfigError(R"({"colour": "blue"})", {R"(unknown config key "colour")"}, {"did you mean"});
}

TEST(ConfigFileErrorTest, ABadValueFromTheFileIsNamedAsTheFilesKey) {
  ExpectConfigError(R"({"data_dir": 5})", {R"(config key "data_dir" must be a string)"});
  ExpectConfigError(R"({"fsync": "sometimes"})",
                    {R"(config key "fsync")", R"(must be always, interval or never)"}, {"--fsync"});
  ExpectConfigError(R"({"segment_bytes": 10})", {R"(config key "segment_bytes")"},
                    {"--segment-bytes"});
}

TEST(ConfigFileErrorTest, ABadFlagIsStillNamedAsTheFlag) {
  TempDir dir;
  std::ofstream(dir.file("cairn.json")) << R"({"port": 7071})";
  CairndRun run = RunCairnd(dir.path(), {"--config", dir.file("cairn.json"), "--fsync", "often"});
  ASSERT_TRUE(run.status);
  EXPECT_TRUE(run.status->exited && run.status->code == 1) << run.status->ToString();
  EXPECT_NE(run.err.find("--fsync must be"), std::string::npos) << run.err;
}

// Errors go to stderr, where a shell or a supervisor keeps them apart from
// the logs on stdout.
TEST(StartupFailureTest, RefusalsAreOnStderr) {
  TempDir dir;
  // Expects exit 1 and `message` on stderr, not on stdout.
  auto expect_refusal = [&dir](const std::vector<std::string>& args, const std::string& message) {
    SCOPED_TRACE(testing::PrintToString(args));
    CairndRun run = RunCairnd(dir.path(), args);
    ASSERT_TRUE(run.status) << "cairnd is still running";
    EXPECT_TRUE(run.status->exited && run.status->code == 1) << run.status->ToString();
    EXPECT_NE(run.err.find(message), std::string::npos) << "stderr: " << run.err;
    EXPECT_EQ(run.out.find(message), std::string::npos) << "stdout: " << run.out;
  };
  expect_refusal({"--data-dir", dir.file("data"), "--auth-token-file", dir.file("missing")},
                 "cannot read --auth-token-file");

  CairndProcess holder(dir.path(), {});
  ASSERT_TRUE(holder.Start());
  expect_refusal({"--data-dir", holder.data_dir(), "--port", std::to_string(test::UnusedPort())},
                 "in use by another process");
  expect_refusal({"--check", "--data-dir", holder.data_dir()}, "cannot check");
}

// --check on a directory that never held Cairn data must not pass it as
// healthy: a mistyped --data-dir would otherwise look fine.
TEST(CheckTest, ADirectoryWithoutSegmentOrSnapshotIsNotADataDirectory) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("empty"));
  std::filesystem::create_directory(dir.file("unrelated"));
  std::ofstream(dir.file("unrelated/notes.txt")) << "not cairn\n";
  for (const std::string name : {"empty", "unrelated", "missing"}) {
    SCOPED_TRACE(name);
    CairndRun run = RunCairnd(dir.path(), {"--check", "--data-dir", dir.file(name)});
    ASSERT_TRUE(run.status);
    EXPECT_TRUE(run.status->exited && run.status->code == 3)
        << run.status->ToString() << "\nstdout: " << run.out << "stderr: " << run.err;
    EXPECT_NE(run.out.find("not a Cairn data directory"), std::string::npos) << run.out;
    if (name != "missing") {
      EXPECT_NE(run.out.find("no log segment and no snapshot"), std::string::npos) << run.out;
    }
    EXPECT_EQ(run.out.find("would open cleanly"), std::string::npos) << run.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("missing"))) << "--check creates nothing";
}

TEST(CheckTest, ADirectoryAFreshCairndLeftIsHealthy) {
  TempDir dir;
  CairndProcess server(dir.path(), {});
  ASSERT_TRUE(server.Start());
  std::optional<ExitStatus> stopped = server.Terminate(std::chrono::seconds(10));
  ASSERT_TRUE(stopped && stopped->exited && stopped->code == 0);
  CairndRun run = RunCairnd(dir.path(), {"--check", "--data-dir", server.data_dir()});
  ASSERT_TRUE(run.status);
  EXPECT_TRUE(run.status->exited && run.status->code == 0) << run.status->ToString() << run.out;
  EXPECT_NE(run.out.find("would open cleanly"), std::string::npos) << run.out;
}

TEST(LogFormatTest, JsonLogsAreOneObjectPerLine) {
  TempDir dir;
  CairndProcess server(dir.path(), {"--log-format", "json", "--log-level", "debug"});
  ASSERT_TRUE(server.Start());
  {
    TestClient client;
    ASSERT_TRUE(client.Connect(server.port())) << client.error();
    EXPECT_EQ(Call(&client, PutRequest("k", "v")), Response::OkVersion(1));
  }
  std::optional<ExitStatus> status = server.Terminate(std::chrono::seconds(10));
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited && status->code == 0) << status->ToString();
  std::istringstream log(server.Log());
  std::string line;
  int lines = 0;
  while (std::getline(log, line)) {
    if (line.empty()) continue;
    ++lines;
    nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(entry.is_object()) << "not a JSON object: " << line;
  }
  EXPECT_GT(lines, 0) << "cairnd logged nothing";
}

}  // namespace
}  // namespace cairn::server_test
