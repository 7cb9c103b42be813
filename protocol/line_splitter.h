// LineSplitter: turns the bytes of one text-mode connection, fed in chunks of
// any size, into lines (docs/protocol.md section 6). A line ends at "\n"; the
// "\n" and one "\r" right before it are not part of the line. A line longer
// than max_line_bytes (the server passes max_frame_bytes) is fatal:
// TOO_LARGE, reported as soon as the buffered bytes prove it, after which the
// splitter drops what it holds and ignores later input.
//
// Usage: after each Feed(), call Next() until it returns kNeedMore or
// kTooLong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/result.h"
#include "protocol/stream_buffer.h"

namespace cairn::protocol {

class LineSplitter {
 public:
  enum class Event {
    kNeedMore,  // no complete line is buffered; Feed() more bytes
    kLine,      // *line holds the next line
    kTooLong,   // error() says what to answer before closing
  };

  explicit LineSplitter(size_t max_line_bytes);

  LineSplitter(const LineSplitter&) = delete;
  LineSplitter& operator=(const LineSplitter&) = delete;

  // Buffers bytes read from the connection. Ignored once too long.
  void Feed(std::string_view bytes);

  // Yields the next line, which views the splitter's buffer and stays valid
  // until the next Feed(). Once kTooLong is returned, every later call
  // returns kTooLong again.
  Event Next(std::string_view* line);

  // REQUIRES: Next() returned kTooLong.
  const Error& error() const { return *error_; }

  // Changes the limit for the lines not yet returned; the TOO_LARGE message
  // adds qualifier after the number (a server lowers the limit until a
  // client has authenticated). REQUIRES: qualifier views a string literal.
  void set_max_line_bytes(size_t max, std::string_view qualifier = "") {
    max_line_bytes_ = max;
    qualifier_ = qualifier;
  }

  // Bytes held and not yet returned as lines.
  size_t buffered_bytes() const { return buffer_.unread().size(); }

  // Work counters, for tests and diagnostics (the tests assert them to prove
  // the splitter linear without a clock). bytes_scanned(): bytes examined in
  // the search for '\n' since construction; a pending line is never
  // rescanned, so this never exceeds the bytes fed. buffer_bytes_moved(): the
  // buffer's StreamBuffer::bytes_moved().
  uint64_t bytes_scanned() const { return bytes_scanned_; }
  uint64_t buffer_bytes_moved() const { return buffer_.bytes_moved(); }

 private:
  Event Fail();

  size_t max_line_bytes_;
  std::string_view qualifier_;  // a string literal
  StreamBuffer buffer_;
  size_t searched_ = 0;  // leading unread bytes known to hold no '\n'
  uint64_t bytes_scanned_ = 0;
  std::optional<Error> error_;
};

}  // namespace cairn::protocol
