// Shared pieces of the cairn-cli tests: a fixture with a real cairnd, a
// library Client on it to set up and check data, and RunCli(), which runs
// cairn-cli (CAIRN_CLI_PATH, set by CMake) against it as a separate process
// with a private HOME and no CAIRN_AUTH_TOKEN from the outside; and
// MatchesPattern() for output with numbers that vary.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/client/client_test_util.h"
#include "tests/client/process.h"

#ifndef CAIRN_CLI_PATH
#error "CAIRN_CLI_PATH must name the cairn-cli executable (set by tests/client/CMakeLists.txt)"
#endif

namespace cairn::client_test {

class CliTest : public ClientTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }

  // The environment cairn-cli runs with, plus overrides.
  std::vector<std::string> CliEnvironment(
      std::map<std::string, std::optional<std::string>> overrides = {}) const {
    overrides.emplace("HOME", home_.path());
    overrides.emplace("CAIRN_AUTH_TOKEN", std::nullopt);
    overrides.emplace("TERM", "xterm");
    return EnvironmentWith(overrides);
  }

  // cairn-cli -h 127.0.0.1 -p PORT args..., fed stdin_bytes.
  RunOutput RunCli(const std::vector<std::string>& args, const std::string& stdin_bytes = "",
                   std::map<std::string, std::optional<std::string>> env = {}) const {
    return RunProcess(CliArgv(args), CliEnvironment(std::move(env)), stdin_bytes);
  }

  std::vector<std::string> CliArgv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {CAIRN_CLI_PATH, "-h", "127.0.0.1", "-p",
                                     std::to_string(server_->port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  TempDir home_;
};

// Whether text has the shape of pattern, where '#' stands for one or more
// decimal digits, '~' for one or more spaces, '*' for any bytes, and every
// other byte for itself. (std::regex would do, but GCC 12 warns inside it
// under -fsanitize.)
inline bool MatchesPattern(std::string_view text, std::string_view pattern) {
  if (pattern.empty()) return text.empty();
  const char p = pattern[0];
  if (p == '*') {
    for (size_t skip = 0; skip <= text.size(); ++skip) {
      if (MatchesPattern(text.substr(skip), pattern.substr(1))) return true;
    }
    return false;
  }
  if (p == '#' || p == '~') {
    auto in_class = [p](char c) { return p == '#' ? (c >= '0' && c <= '9') : c == ' '; };
    for (size_t n = 0; n < text.size() && in_class(text[n]); ++n) {
      if (MatchesPattern(text.substr(n + 1), pattern.substr(1))) return true;
    }
    return false;
  }
  return !text.empty() && text[0] == p && MatchesPattern(text.substr(1), pattern.substr(1));
}

// For gtest messages: what a run printed and how it ended.
inline std::string Describe(const RunOutput& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + protocol::QuoteText(run.out) +
         "\nstderr: " + protocol::QuoteText(run.err);
}

}  // namespace cairn::client_test
