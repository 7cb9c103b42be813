#include "protocol/line_splitter.h"

#include <string>

namespace cairn::protocol {

LineSplitter::LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

void LineSplitter::Feed(std::string_view bytes) {
  if (!error_) buffer_.Append(bytes);
}

LineSplitter::Event LineSplitter::Next(std::string_view* line) {
  if (error_) return Event::kTooLong;
  std::string_view unread = buffer_.unread();
  size_t newline = unread.find('\n', searched_);
  bytes_scanned_ += (newline == std::string_view::npos ? unread.size() : newline + 1) - searched_;
  if (newline == std::string_view::npos) {
    searched_ = unread.size();
    // The pending line holds at least these bytes, less a final '\r' that a
    // '\n' may still follow.
    size_t at_least = unread.size() - (unread.ends_with('\r') ? 1 : 0);
    return at_least > max_line_bytes_ ? Fail() : Event::kNeedMore;
  }
  std::string_view content = unread.substr(0, newline);
  if (content.ends_with('\r')) content.remove_suffix(1);
  if (content.size() > max_line_bytes_) return Fail();
  *line = content;
  buffer_.Consume(newline + 1);
  searched_ = 0;
  return Event::kLine;
}

LineSplitter::Event LineSplitter::Fail() {
  error_ = Error{StatusCode::kTooLarge, "line longer than the limit of " +
                                            std::to_string(max_line_bytes_) + " bytes" +
                                            std::string(qualifier_) + "; closing the connection"};
  buffer_.Clear();
  searched_ = 0;
  return Event::kTooLong;
}

}  // namespace cairn::protocol
