// The real cairn-bench, run as a process against a real cairnd over
// loopback: what --json reports must match what the server saw, failures
// must give the documented exit codes. No assertion on speed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/client/process.h"
#include "tests/common/unused_port.h"
#include "tests/server/cairnd_process.h"

namespace cairn::bench {
namespace {

using client_test::EnvironmentWith;
using client_test::RunOutput;
using client_test::RunProcess;
using namespace std::chrono_literals;

class CairnBenchTest : public testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {"--fsync", "never"}) {
    server_ = std::make_unique<server_test::CairndProcess>(dir_.path(), std::move(flags));
    ASSERT_TRUE(server_->Start());
  }

  // Runs cairn-bench against the server with these flags.
  RunOutput Bench(std::vector<std::string> args,
                  const std::map<std::string, std::optional<std::string>>& env = {
                      {"CAIRN_AUTH_TOKEN", std::nullopt}}) {
    args.insert(args.begin(), {CAIRN_BENCH_PATH, "-p", std::to_string(server_->port())});
    return RunProcess(args, EnvironmentWith(env));
  }

  // The --json object cairn-bench printed; a test failure when stdout is not
  // exactly one JSON object.
  static nlohmann::json ParseJson(const RunOutput& run) {
    nlohmann::json parsed = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(parsed.is_object()) << "stdout: " << run.out << "\nstderr: " << run.err;
    return parsed;
  }

  uint64_t ServerKeys() {
    ClientOptions options;
    options.port = server_->port();
    options.auth_token = token_;
    Client client(options);
    Result<nlohmann::json> stats = client.Stats();
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? stats.value().at("keys").get<uint64_t>() : 0;
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "--- cairnd log ---\n" << server_->LogTail() << "\n";
  }

  test::TempDir dir_;
  std::unique_ptr<server_test::CairndProcess> server_;
  std::string token_;
};

using test::UnusedPort;

TEST_F(CairnBenchTest, PutThenGetJsonMatchesTheServer) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RunOutput run = Bench(
      {"--json", "-t", "put,get", "-r", "1000", "-n", "2000", "-c", "4", "-P", "8", "-d", "10"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json report = ParseJson(run);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["tool"], "cairn-bench");
  EXPECT_EQ(report["port"], server_->port());
  EXPECT_EQ(report["connections"], 4);
  EXPECT_EQ(report["requests"], 2000);
  EXPECT_EQ(report["value_size"], 10);
  EXPECT_EQ(report["keyspace"], 1000);
  EXPECT_EQ(report["pipeline"], 8);
  EXPECT_EQ(report["threads"], 1);
  ASSERT_EQ(report["results"].size(), 2u);

  const nlohmann::json& put = report["results"][0];
  EXPECT_EQ(put["test"], "put");
  EXPECT_EQ(put["requests"], 2000);
  EXPECT_EQ(put["errors"], 0);
  EXPECT_GT(put["seconds"].get<double>(), 0.0);
  EXPECT_GT(put["ops_per_sec"].get<double>(), 0.0);
  const nlohmann::json& latency = put["latency_ms"];
  for (const char* name : {"min", "p50", "p99", "p999", "max", "mean"}) {
    ASSERT_TRUE(latency.contains(name)) << name;
    EXPECT_GT(latency[name].get<double>(), 0.0) << name;
  }
  EXPECT_LE(latency["min"].get<double>(), latency["p50"].get<double>());
  EXPECT_LE(latency["p50"].get<double>(), latency["p99"].get<double>());
  EXPECT_LE(latency["p99"].get<double>(), latency["p999"].get<double>());
  EXPECT_LE(latency["p999"].get<double>(), latency["max"].get<double>());

  const nlohmann::json& get = report["results"][1];
  EXPECT_EQ(get["test"], "get");
  EXPECT_EQ(get["requests"], 2000);
  EXPECT_EQ(get["errors"], 0);
  EXPECT_GT(get["hits"].get<uint64_t>(), 0u);
  EXPECT_EQ(get["hits"].get<uint64_t>() + get["misses"].get<uint64_t>(), 2000u);

  const uint64_t keys = ServerKeys();
  EXPECT_GT(keys, 0u);
  EXPECT_LE(keys, 1000u);
}

TEST_F(CairnBenchTest, EveryTestOnSeveralThreads) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RunOutput run = Bench({"--json", "-t", "ping,set,get,incr,mixed,del", "-r", "100", "-n", "3000",
                         "-c", "6", "-P", "4", "--threads", "3", "--ratio", "3:1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json report = ParseJson(run);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["threads"], 3);
  std::vector<std::string> names;
  for (const nlohmann::json& result : report["results"]) {
    names.push_back(result["test"]);
    EXPECT_EQ(result["requests"], 3000) << result["test"];
    EXPECT_EQ(result["errors"], 0) << result["test"];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"ping", "put", "get", "incr", "mixed", "delete"}));
  // Deleting from a keyspace of 100 with 3000 requests deletes some keys.
  EXPECT_GT(report["results"][5]["hits"].get<uint64_t>(), 0u);
}

TEST_F(CairnBenchTest, WithoutKeyspaceEveryRequestUsesOneKey) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RunOutput run = Bench({"--json", "-t", "put,get", "-n", "500", "-c", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json report = ParseJson(run);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["keyspace"], 0);
  EXPECT_EQ(report["results"][1]["hits"], 500);
  EXPECT_EQ(ServerKeys(), 1u);
}

TEST_F(CairnBenchTest, ErrorAnswersAreCountedAndFailTheRun) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--fsync", "never", "--max-value-bytes", "8"}));
  // Values of 9 bytes are TOO_LARGE: every PUT is an error answer. The run
  // goes on and reports them, but a script must not take it for a result.
  RunOutput run = Bench({"--json", "-t", "put", "-n", "300", "-c", "3", "-P", "5", "-d", "9"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  nlohmann::json report = ParseJson(run);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["results"][0]["requests"], 300);
  EXPECT_EQ(report["results"][0]["errors"], 300);
  EXPECT_NE(run.err.find("TOO_LARGE"), std::string::npos) << run.err;

  RunOutput ignoring = Bench({"-q", "-t", "put", "-n", "30", "-d", "9", "--ignore-errors"});
  EXPECT_EQ(ignoring.exit_code, 0) << ignoring.err;
}

TEST_F(CairnBenchTest, AuthenticatesWithTheToken) {
  token_ = "bench-secret-token";
  const std::string token_file = dir_.file("token");
  client_test::WriteFile(token_file, token_ + "\n");
  ASSERT_NO_FATAL_FAILURE(StartServer({"--fsync", "never", "--auth-token-file", token_file}));

  RunOutput with_flag = Bench({"-q", "-t", "put", "-n", "200", "-c", "2", "-a", token_});
  EXPECT_EQ(with_flag.exit_code, 0) << with_flag.err;
  EXPECT_NE(with_flag.out.find("PUT: "), std::string::npos) << with_flag.out;

  RunOutput from_env =
      Bench({"-q", "-t", "get", "-n", "200", "-c", "2"}, {{"CAIRN_AUTH_TOKEN", token_}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;

  // Without a token every answer is UNAUTHORIZED.
  RunOutput without = Bench({"-q", "-t", "put", "-n", "50", "-c", "1"});
  EXPECT_EQ(without.exit_code, 1) << without.err;
  EXPECT_NE(without.err.find("UNAUTHORIZED"), std::string::npos) << without.err;

  RunOutput wrong = Bench({"-q", "-t", "put", "-n", "200", "-c", "2", "-a", "wrong"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("UNAUTHORIZED"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.out, "");
}

TEST_F(CairnBenchTest, TextModePrintsTheSummaryBlock) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RunOutput run = Bench({"-t", "get", "-r", "10", "-n", "100", "-c", "2", "-P", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* expected :
       {"====== GET ======", "100 requests completed in", "2 parallel clients", "pipeline: 2",
        "throughput summary:", "p99.9", "hits: 0, misses: 100"}) {
    EXPECT_NE(run.out.find(expected), std::string::npos) << expected << " in\n" << run.out;
  }
  // Not a terminal: no progress line.
  EXPECT_EQ(run.err.find("rps="), std::string::npos) << run.err;
}

TEST_F(CairnBenchTest, ServerDyingMidRunExitsOne) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string err_path = dir_.file("bench.err");
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(err_fd, 0);
  // More requests than it could ever finish: it is still running when cairnd dies.
  const pid_t bench = client_test::Spawn(
      {.argv = {CAIRN_BENCH_PATH, "-p", std::to_string(server_->port()), "-q", "-t", "put", "-n",
                "1000000000", "-r", "1000", "-c", "4", "-P", "4"},
       .env = EnvironmentWith({}),
       .stderr_fd = err_fd});
  close(err_fd);
  ASSERT_GT(bench, 0);
  // Kill cairnd once the PUTs are flowing.
  while (ServerKeys() == 0 && !client_test::WaitExit(bench, 20ms)) {
  }
  server_->Kill();
  std::optional<int> code = client_test::WaitExit(bench, 60s);
  if (!code) kill(bench, SIGKILL);
  ASSERT_TRUE(code.has_value()) << "cairn-bench still running a minute after cairnd died";
  EXPECT_EQ(*code, 1);
  const std::string err = client_test::ReadFile(err_path);
  EXPECT_NE(err.find("cairn-bench: PUT: connection "), std::string::npos) << err;
}

TEST(CairnBenchFailureTest, UnreachableServerExitsOneWithAMessage) {
  const std::string port = std::to_string(UnusedPort());
  RunOutput run = RunProcess({CAIRN_BENCH_PATH, "-p", port, "--json", "-t", "put", "-n", "10"},
                             EnvironmentWith({}));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("cannot connect to 127.0.0.1:" + port), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(CairnBenchFailureTest, BadFlagExitsTwo) {
  RunOutput unknown = RunProcess({CAIRN_BENCH_PATH, "--no-such-flag"}, EnvironmentWith({}));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--no-such-flag"), std::string::npos) << unknown.err;

  RunOutput bad_test = RunProcess({CAIRN_BENCH_PATH, "-t", "lrange"}, EnvironmentWith({}));
  EXPECT_EQ(bad_test.exit_code, 2);
  EXPECT_NE(bad_test.err.find("lrange"), std::string::npos) << bad_test.err;
}

}  // namespace
}  // namespace cairn::bench
