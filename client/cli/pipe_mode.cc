#include "client/cli/pipe_mode.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <iostream>
#include <string>

#include "client/cli/cli_options.h"
#include "client/cli/output.h"
#include "client/cli/parse_limits.h"
#include "client/cli/terminal_text.h"
#include "client/pipeline.h"
#include "protocol/line_splitter.h"
#include "protocol/text.h"

namespace cairn::cli {

namespace {

constexpr size_t kReadChunk = 64 * 1024;

class PipeRun {
 public:
  explicit PipeRun(Client* client)
      : max_line_bytes_(client->options().max_frame_bytes),
        splitter_(max_line_bytes_),
        pipeline_(client, [this](protocol::Response answer) { Count(answer); }) {}

  int Run() {
    Status status = ReadAll();
    if (Status finished = pipeline_.Finish(); status.ok()) status = finished;
    if (!status.ok()) {
      std::cerr << DescribeFailure(status) << "\n";
      ++errors_;
    }
    std::cout << "sent: " << pipeline_.sent() << ", ok: " << ok_ << ", not_found: " << not_found_
              << ", version_mismatch: " << version_mismatch_ << ", errors: " << errors_ << "\n";
    return errors_ == 0 ? kExitOk : kExitError;
  }

 private:
  // Reads and sends every line; a non-OK status is a connection error.
  Status ReadAll() {
    std::string buffer(kReadChunk, '\0');
    while (true) {
      if (!StdinReady()) {
        if (Status flushed = pipeline_.Flush(); !flushed.ok()) return flushed;
      }
      const ssize_t n = read(STDIN_FILENO, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // End of input: a last line without its "\n" still counts.
        if (splitter_.buffered_bytes() > 0) splitter_.Feed("\n");
        return SendLines();
      }
      splitter_.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)));
      if (Status sent = SendLines(); !sent.ok() || done_) return sent;
    }
  }

  Status SendLines() {
    std::string_view line;
    while (!done_) {
      switch (splitter_.Next(&line)) {
        case protocol::LineSplitter::Event::kNeedMore:
          return Status();
        case protocol::LineSplitter::Event::kTooLong:
          // The splitter cannot find the next line again: stop reading.
          Report(++line_number_, "TOO_LARGE line longer than the frame limit of " +
                                     std::to_string(max_line_bytes_) +
                                     " bytes; input ignored from here\n");
          done_ = true;
          return Status();
        case protocol::LineSplitter::Event::kLine:
          break;
      }
      ++line_number_;
      if (protocol::IsBlankLine(line)) continue;
      protocol::Result<protocol::Request> request = protocol::ParseTextRequest(line, kNoLimits);
      if (!request.ok()) {
        Report(line_number_, std::string(protocol::StatusName(request.error().status)) + " " +
                                 request.error().message + "\n");
        continue;
      }
      if (request.value().quit) {
        done_ = true;
        break;
      }
      // Recorded first: Add() may deliver this very answer before it returns.
      lines_in_flight_.push_back(line_number_);
      Status added = pipeline_.Add(request.value());
      if (added.code() == Code::kTooLarge) {  // refused locally; the rest goes on
        lines_in_flight_.pop_back();
        Report(line_number_, added.ToString() + "\n");
        continue;
      }
      if (!added.ok()) return added;
    }
    return Status();
  }

  void Count(const protocol::Response& answer) {
    const size_t line = lines_in_flight_.front();
    lines_in_flight_.pop_front();
    switch (answer.status) {
      case protocol::StatusCode::kOk:
        ++ok_;
        break;
      case protocol::StatusCode::kNotFound:
        ++not_found_;
        break;
      case protocol::StatusCode::kVersionMismatch:
        ++version_mismatch_;
        break;
      default:
        Report(line, protocol::FormatTextResponse({}, answer));
    }
  }

  // An error on a line; text ends in "\n", and may quote the server.
  void Report(size_t line, const std::string& text) {
    ++errors_;
    std::cerr << "line " << line << ": " << TerminalSafe(text);
  }

  static bool StdinReady() {
    pollfd stdin_poll{STDIN_FILENO, POLLIN, 0};
    return poll(&stdin_poll, 1, 0) != 0;  // errors too: read() will report them
  }

  const size_t max_line_bytes_;
  protocol::LineSplitter splitter_;
  Pipeline pipeline_;
  std::deque<size_t> lines_in_flight_;  // line numbers of requests awaiting answers
  size_t line_number_ = 0;
  bool done_ = false;  // QUIT, or a line too long to skip
  size_t ok_ = 0;
  size_t not_found_ = 0;
  size_t version_mismatch_ = 0;
  size_t errors_ = 0;
};

}  // namespace

int RunPipe(Client* client) { return PipeRun(client).Run(); }

}  // namespace cairn::cli
