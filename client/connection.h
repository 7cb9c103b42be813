// Connection: one open connection to cairnd speaking binary frames: a send
// buffer of encoded requests, a decoder of answers, and the bookkeeping that
// pairs them. Requests get consecutive request ids; the server answers in
// order (docs/protocol.md section 1), and an answer that does not
// echo the id expected next is a protocol error. After any connection error
// the Connection is broken for good: its owner drops it and opens a new one.
// Internal to the client library; not installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "client/options.h"
#include "client/socket.h"
#include "client/status.h"
#include "protocol/frame_decoder.h"
#include "protocol/request.h"
#include "protocol/response.h"

namespace cairn {

class Connection {
 public:
  using AnswerHandler = std::function<void(protocol::Response)>;

  // Connects and, when options.auth_token is set, authenticates (a refused
  // token is the server's UNAUTHORIZED status).
  static Result<std::unique_ptr<Connection>> Open(const ClientOptions& options);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Encodes request at the end of the send buffer; nothing is written yet.
  // kTooLarge, with nothing queued, when its body would exceed
  // options.max_frame_bytes.
  // REQUIRES: request is valid for its opcode (protocol::EncodeRequest).
  Status Queue(const protocol::Request& request);

  enum class Until {
    kSent,      // the send buffer is written
    kAnswered,  // ... and every request has its answer
  };
  // Writes the send buffer and hands every answer that arrives meanwhile,
  // in order, to on_answer; with kAnswered, waits for the rest as well.
  // Answers are read even while a write is blocked, so a long pipeline
  // cannot deadlock on full socket buffers. on_answer must not use this
  // Connection.
  Status Exchange(Until until, const AnswerHandler& on_answer);

  // Encoded and not yet written.
  size_t queued_bytes() const { return out_.size() - out_written_; }
  // Queued or written, and not yet answered.
  size_t in_flight() const { return next_request_id_ - next_answer_id_; }
  // True when the connection cannot take a new request: the server closed
  // it (or sent something unasked) while nothing was in flight.
  bool IsStale() const { return in_flight() == 0 && socket_.IsStale(); }

 private:
  Connection(Socket socket, const ClientOptions& options);

  Status WriteSome();
  Status ReadSome(const AnswerHandler& on_answer);

  Socket socket_;
  const std::chrono::milliseconds io_timeout_;
  const uint32_t max_frame_bytes_;
  std::string out_;
  size_t out_written_ = 0;  // out_[0, out_written_) is on the wire
  protocol::FrameDecoder decoder_;
  std::string read_buffer_;
  // Ids wrap around; in_flight() is their difference modulo 2^32.
  uint32_t next_request_id_ = 1;
  uint32_t next_answer_id_ = 1;
};

}  // namespace cairn
