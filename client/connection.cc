#include "client/connection.h"

#include <optional>
#include <utility>

#include "client/reply.h"
#include "client/requests.h"
#include "protocol/frame.h"

namespace cairn {

namespace {

// Large enough that a big answer takes few reads, small enough to keep one
// per connection (a pool holds many).
constexpr size_t kReadChunk = 64 * 1024;
// Offset of the request id in the frame header (docs/protocol.md section 2).
constexpr size_t kRequestIdOffset = 4;

}  // namespace

Connection::Connection(Socket socket, const ClientOptions& options)
    : socket_(std::move(socket)),
      io_timeout_(options.io_timeout),
      max_frame_bytes_(options.max_frame_bytes),
      decoder_(protocol::kResponseMagic, options.max_frame_bytes),
      read_buffer_(kReadChunk, '\0') {}

Result<std::unique_ptr<Connection>> Connection::Open(const ClientOptions& options) {
  Result<Socket> socket = Socket::Connect(options.host, options.port, options.connect_timeout);
  if (!socket.ok()) return socket.status();
  if (options.tls.enabled) {
    Status tls = socket.value().StartTls(options.host, options.tls, options.io_timeout);
    if (!tls.ok()) return tls;
  }
  std::unique_ptr<Connection> connection(new Connection(std::move(socket).value(), options));
  if (options.auth_token.empty()) return connection;

  Status status = connection->Queue(AuthRequest(options.auth_token));
  std::optional<protocol::Response> answer;
  if (status.ok()) {
    status = connection->Exchange(Until::kAnswered,
                                  [&answer](protocol::Response r) { answer = std::move(r); });
  }
  if (status.ok()) status = ReplyStatus(*answer);
  if (!status.ok()) return status;
  return connection;
}

Status Connection::Queue(const protocol::Request& request) {
  const size_t start = out_.size();
  protocol::EncodeRequest(request, &out_);
  const size_t body_bytes = out_.size() - start - protocol::kHeaderSize;
  if (body_bytes > max_frame_bytes_) {
    out_.resize(start);
    return Status(Code::kTooLarge, "request body of " + std::to_string(body_bytes) +
                                       " bytes exceeds max_frame_bytes " +
                                       std::to_string(max_frame_bytes_) + "; not sent");
  }
  // The request's own id is ignored: ids are this connection's business,
  // and patching 4 bytes is cheaper than copying a request with its value.
  out_.replace(start + kRequestIdOffset, sizeof(uint32_t), protocol::EncodeU32(next_request_id_++));
  return Status();
}

Status Connection::Exchange(Until until, const AnswerHandler& on_answer) {
  while (true) {
    const bool want_write = queued_bytes() > 0;
    if (!want_write && (until == Until::kSent || in_flight() == 0)) return Status();
    // Every request queued or written is in flight here, so always read too.
    Result<Socket::Readiness> ready = socket_.Wait(/*want_read=*/true, want_write, io_timeout_);
    if (!ready.ok()) return ready.status();
    if (ready.value().writable) {
      if (Status status = WriteSome(); !status.ok()) return status;
    }
    if (ready.value().readable) {
      if (Status status = ReadSome(on_answer); !status.ok()) return status;
    }
  }
}

Status Connection::WriteSome() {
  Result<size_t> written = socket_.WriteSome(std::string_view(out_).substr(out_written_));
  if (!written.ok()) return written.status();
  out_written_ += written.value();
  if (out_written_ == out_.size()) {
    out_.clear();  // keeps the capacity for the next requests
    out_written_ = 0;
  }
  return Status();
}

Status Connection::ReadSome(const AnswerHandler& on_answer) {
  Result<size_t> read = socket_.ReadSome(read_buffer_.data(), read_buffer_.size());
  if (!read.ok()) return read.status();
  decoder_.Feed(std::string_view(read_buffer_).substr(0, read.value()));
  protocol::Frame frame;
  while (true) {
    switch (decoder_.Next(&frame)) {
      case protocol::FrameDecoder::Event::kNeedMore:
        return Status();
      case protocol::FrameDecoder::Event::kFatal:
        return Status(Code::kProtocolError, "bad answer from " + socket_.peer() + ": " +
                                                decoder_.fatal_error().error.message);
      case protocol::FrameDecoder::Event::kFrame:
        break;
    }
    protocol::Result<protocol::Response> answer = protocol::ParseResponse(frame.header, frame.body);
    if (!answer.ok()) {
      return Status(Code::kProtocolError,
                    "bad answer from " + socket_.peer() + ": " + answer.error().message);
    }
    if (in_flight() == 0 || answer.value().request_id != next_answer_id_) {
      return Status(Code::kProtocolError,
                    "answer with request id " + std::to_string(answer.value().request_id) +
                        " from " + socket_.peer() + "; expected " +
                        (in_flight() == 0 ? "none" : std::to_string(next_answer_id_)));
    }
    ++next_answer_id_;
    on_answer(std::move(answer).value());
  }
}

}  // namespace cairn
