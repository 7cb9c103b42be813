#include "client/cli/session.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "client/cli/ascii.h"
#include "client/cli/help_text.h"
#include "client/cli/output.h"
#include "client/cli/parse_limits.h"
#include "protocol/text.h"

namespace cairn::cli {

namespace {

// "  (0.42 ms)" before the final newline of text.
std::string WithTiming(std::string text, std::chrono::steady_clock::duration elapsed) {
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), "  (%.2f ms)",
                std::chrono::duration<double, std::milli>(elapsed).count());
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text + suffix + "\n";
}

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n <= 0) return;  // stdout closed: nothing else to do with the output
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

Session::Session(Client* client, const CliOptions& options)
    : client_(client),
      format_(options.format),
      show_timing_(options.format == Format::kQuoted && options.stdout_is_terminal) {}

Session::Outcome Session::Execute(std::string_view line) {
  if (protocol::IsBlankLine(line)) return {};
  protocol::Result<std::vector<std::string>> tokens = protocol::TokenizeTextLine(line);
  if (tokens.ok()) {
    const std::vector<std::string>& words = tokens.value();
    if (EqualsIgnoreCase(words[0], "help")) {
      Write(kHelpText, "");
      return {};
    }
    if (EqualsIgnoreCase(words[0], "exit")) return {.exit_code = kExitOk, .quit = true};
    if (EqualsIgnoreCase(words[0], "scan") && words.size() >= 2 && words[1] == "--prefix") {
      if (words.size() == 3) return ScanPrefix(words[2]);
      Write("", "cairn-cli: usage: SCAN --prefix prefix\n");
      return {.exit_code = kExitError};
    }
  }
  // A tokenizing error is reported by the parser, like the server would.
  protocol::Result<protocol::Request> request = protocol::ParseTextRequest(line, kNoLimits);
  if (!request.ok()) {
    const Printed printed = FormatAnswer(
        format_, {}, protocol::Response::Failure(request.error().status, request.error().message));
    Write(printed.out, printed.err);
    return {.exit_code = kExitError};
  }
  if (request.value().quit) return {.exit_code = kExitOk, .quit = true};
  return Call(request.value());
}

Session::Outcome Session::Call(const protocol::Request& request) {
  const auto start = std::chrono::steady_clock::now();
  Result<protocol::Response> answer = client_->Call(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (!answer.ok()) {
    Write("", DescribeFailure(answer.status()) + "\n");
    return {.exit_code = kExitError};
  }
  Printed printed = FormatAnswer(format_, request, answer.value());
  if (show_timing_) printed.out = WithTiming(std::move(printed.out), elapsed);
  if (answer.value().status == protocol::StatusCode::kUnauthorized &&
      client_->options().auth_token.empty()) {
    printed.err +=
        "cairn-cli: the server wants a token: AUTH, --auth-token-file or "
        "CAIRN_AUTH_TOKEN\n";
  }
  Write(printed.out, printed.err);
  return {.exit_code = ExitCodeOf(answer.value())};
}

Session::Outcome Session::ScanPrefix(std::string_view prefix) {
  const auto start = std::chrono::steady_clock::now();
  size_t count = 0;
  ScanIterator it = client_->Scan(ScanRange::Prefix(prefix));
  for (; it.Valid(); it.Next()) {
    Write(FormatEntry(format_, it.key(), it.value()), "");
    ++count;
  }
  if (!it.status().ok()) {
    Write("", DescribeFailure(it.status()) + "\n");
    return {.exit_code = kExitError};
  }
  if (format_ == Format::kQuoted) {
    std::string summary = "(" + std::to_string(count) + (count == 1 ? " key)\n" : " keys)\n");
    if (show_timing_)
      summary = WithTiming(std::move(summary), std::chrono::steady_clock::now() - start);
    Write(summary, "");
  }
  return {};
}

void Session::Write(std::string_view out, std::string_view err) {
  WriteAll(STDOUT_FILENO, out);
  WriteAll(STDERR_FILENO, err);
}

}  // namespace cairn::cli
