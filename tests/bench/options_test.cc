// cairn-bench's command line: redis-benchmark's defaults, the aliases, and
// exit code 2 for what makes no sense.
#include "bench/cairn_bench/options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

namespace cairn::bench {
namespace {

struct Parsed {
  ParseOutcome outcome;
  int exit_code = -1;
  BenchOptions options;
};

Parsed Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "cairn-bench");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  Parsed parsed;
  parsed.outcome =
      ParseOptions(static_cast<int>(argv.size()), argv.data(), &parsed.options, &parsed.exit_code);
  return parsed;
}

// Field by field, so that a failure names the field.
void ExpectOptions(const BenchOptions& got, const BenchOptions& want) {
  EXPECT_EQ(got.host, want.host);
  EXPECT_EQ(got.port, want.port);
  EXPECT_EQ(got.connections, want.connections);
  EXPECT_EQ(got.requests, want.requests);
  EXPECT_EQ(got.value_size, want.value_size);
  EXPECT_EQ(got.keyspace, want.keyspace);
  EXPECT_EQ(got.pipeline, want.pipeline);
  EXPECT_EQ(got.tests, want.tests);
  EXPECT_EQ(got.threads, want.threads);
  EXPECT_EQ(got.read_weight, want.read_weight);
  EXPECT_EQ(got.write_weight, want.write_weight);
  EXPECT_EQ(got.auth_token, want.auth_token);
  EXPECT_EQ(got.quiet, want.quiet);
  EXPECT_EQ(got.json, want.json);
  EXPECT_EQ(got.ignore_errors, want.ignore_errors);
}

TEST(OptionsTest, DefaultsAreRedisBenchmarks) {
  unsetenv("CAIRN_AUTH_TOKEN");
  Parsed parsed = Parse({});
  ASSERT_EQ(parsed.outcome, ParseOutcome::kRun);
  BenchOptions want;  // its initializers are redis-benchmark's defaults
  want.tests = {TestKind::kPing, TestKind::kPut,   TestKind::kGet,
                TestKind::kIncr, TestKind::kMixed, TestKind::kDelete};
  ExpectOptions(parsed.options, want);
  EXPECT_EQ(want.port, 7070);
  EXPECT_EQ(want.connections, 50u);
  EXPECT_EQ(want.requests, 100000u);
  EXPECT_EQ(want.value_size, 3u);
  EXPECT_EQ(want.pipeline, 1u);
}

TEST(OptionsTest, ReadsEveryFlag) {
  Parsed parsed = Parse({"-h",
                         "localhost",
                         "-p",
                         "7071",
                         "-c",
                         "8",
                         "-n",
                         "500",
                         "-d",
                         "100",
                         "-r",
                         "1000",
                         "-P",
                         "16",
                         "-t",
                         "set,GET,del,mixed",
                         "--threads",
                         "2",
                         "--ratio",
                         "9:1",
                         "-a",
                         "secret",
                         "-q",
                         "--json",
                         "--ignore-errors"});
  ASSERT_EQ(parsed.outcome, ParseOutcome::kRun);
  BenchOptions want;
  want.host = "localhost";
  want.port = 7071;
  want.connections = 8;
  want.requests = 500;
  want.value_size = 100;
  want.keyspace = 1000;
  want.pipeline = 16;
  want.tests = {TestKind::kPut, TestKind::kGet, TestKind::kDelete, TestKind::kMixed};
  want.threads = 2;
  want.read_weight = 9;
  want.write_weight = 1;
  want.auth_token = "secret";
  want.quiet = want.json = want.ignore_errors = true;
  ExpectOptions(parsed.options, want);
}

TEST(OptionsTest, TokenFromTheEnvironmentUnlessGiven) {
  setenv("CAIRN_AUTH_TOKEN", "from-env\n", 1);
  EXPECT_EQ(Parse({}).options.auth_token, "from-env");
  EXPECT_EQ(Parse({"-a", "flag"}).options.auth_token, "flag");
  unsetenv("CAIRN_AUTH_TOKEN");
}

TEST(OptionsTest, NonsenseIsUsageError) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--bogus"},
           {"-t", "put,lrange"},
           {"-t", ","},
           {"-c", "0"},
           {"-P", "0"},
           {"-n", "0"},
           {"-p", "70000"},
           {"-r", "1000000000001"},
           {"--ratio", "9"},
           {"--ratio", "0:0"},
           {"--ratio", "9:1:1"},
           {"--ratio", "-1:2"},
           {"-c", "2", "--threads", "3"},
       }) {
    Parsed parsed = Parse(args);
    EXPECT_EQ(parsed.outcome, ParseOutcome::kExit) << testing::PrintToString(args);
    EXPECT_EQ(parsed.exit_code, kExitUsage) << testing::PrintToString(args);
  }
}

TEST(OptionsTest, HelpExitsZero) {
  Parsed parsed = Parse({"--help"});
  EXPECT_EQ(parsed.outcome, ParseOutcome::kExit);
  EXPECT_EQ(parsed.exit_code, kExitOk);
}

}  // namespace
}  // namespace cairn::bench
