// FrameDecoder: turns the bytes of one binary-mode connection, fed in chunks
// of any size, into complete frames (header + body) in the order sent.
// It enforces only what framing needs (docs/protocol.md section 5.2, errors
// that close the connection): the magic byte, the protocol version and the body length
// limit. A violation is fatal. Next() reports it as soon as the offending
// header's 12 bytes are buffered (frames before it come out first; its body
// is not waited for), with the status to answer and the request id as
// received; the decoder then drops everything buffered and ignores later
// input, so an oversized body is never held in memory. The meaning of the
// body (opcode, flags, fields) is ParseRequest's or ParseResponse's business.
//
// Usage: after each Feed(), call Next() until it returns kNeedMore or kFatal.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/frame.h"
#include "protocol/result.h"
#include "protocol/stream_buffer.h"

namespace cairn::protocol {

struct Frame {
  FrameHeader header;
  std::string_view body;  // header.body_length bytes
};

struct FatalFrameError {
  Error error;              // BAD_REQUEST (magic, version) or TOO_LARGE (body length)
  uint32_t request_id = 0;  // as received, to echo in the one answer
};

class FrameDecoder {
 public:
  enum class Event {
    kNeedMore,  // no complete frame is buffered; Feed() more bytes
    kFrame,     // *frame holds the next frame
    kFatal,     // fatal_error() says what to answer before closing
  };

  // magic: kRequestMagic on the server, kResponseMagic on the client.
  FrameDecoder(uint8_t magic, uint32_t max_frame_bytes);

  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Buffers bytes read from the connection. Ignored once fatal.
  void Feed(std::string_view bytes);

  // Yields the next complete frame. frame->body views the decoder's buffer
  // and stays valid until the next Feed(). Once kFatal is returned, every
  // later call returns kFatal again.
  Event Next(Frame* frame);

  // REQUIRES: Next() returned kFatal.
  const FatalFrameError& fatal_error() const { return *fatal_; }

  // Changes the limit for the frames not yet returned, and how the TOO_LARGE
  // message names it (a server lowers it until a client has authenticated).
  // REQUIRES: name views a string literal.
  void set_max_frame_bytes(uint32_t max, std::string_view name = kMaxFrameBytesName) {
    max_frame_bytes_ = max;
    limit_name_ = name;
  }

  // Bytes held and not yet returned as frames.
  size_t buffered_bytes() const { return buffer_.unread().size(); }

  // The buffer's StreamBuffer::bytes_moved(): a work counter for tests and
  // diagnostics (the tests assert it to prove the decoder linear without a
  // clock).
  uint64_t buffer_bytes_moved() const { return buffer_.bytes_moved(); }

 private:
  // The fatal error a header carries, if any.
  std::optional<FatalFrameError> CheckHeader(const FrameHeader& header) const;

  const uint8_t magic_;
  static constexpr std::string_view kMaxFrameBytesName = "max_frame_bytes";

  uint32_t max_frame_bytes_;
  std::string_view limit_name_ = kMaxFrameBytesName;  // a string literal
  StreamBuffer buffer_;
  std::optional<FatalFrameError> fatal_;
};

}  // namespace cairn::protocol
