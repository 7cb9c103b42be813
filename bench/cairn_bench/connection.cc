#include "bench/cairn_bench/connection.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

#include "client/reply.h"
#include "client/requests.h"
#include "protocol/request.h"
#include "protocol/response.h"

namespace cairn::bench {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Answers are small; a large value just takes several reads.
constexpr size_t kReadBufferBytes = 16 * 1024;
// The decoder's limit: docs/protocol.md's largest frame.
constexpr uint32_t kMaxFrameBytes = 33554432;

}  // namespace

Connection::Connection(Worker* worker, size_t index, const std::string& peer)
    : worker_(*worker),
      peer_(peer),
      name_("connection " + std::to_string(index) + " to " + peer),
      socket_(worker->loop()),
      decoder_(protocol::kResponseMagic, kMaxFrameBytes),
      read_buffer_(kReadBufferBytes) {}

std::string Connection::Open(const asio::ip::tcp::resolver::results_type& endpoints,
                             const ConnectionSettings& settings) {
  error_code error;
  asio::connect(socket_, endpoints, error);
  if (error) return "cannot connect to " + peer_ + ": " + error.message();
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
  if (settings.tls != nullptr) {
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *settings.tls);
    const std::string& name = settings.tls_server_name;
    error_code not_an_address;
    asio::ip::make_address(name, not_an_address);
    if (not_an_address) SSL_set_tlsext_host_name(tls_->native_handle(), name.c_str());
    if (settings.tls_verify) tls_->set_verify_callback(asio::ssl::host_name_verification(name));
    tls_->handshake(asio::ssl::stream_base::client, error);
    if (error) return name_ + ": TLS handshake failed: " + error.message();
  }
  if (settings.token.empty()) return "";

  std::string request;
  protocol::EncodeRequest(AuthRequest(settings.token), &request);
  OnStream([&](auto& stream) { asio::write(stream, asio::buffer(request), error); });
  protocol::Frame frame;
  protocol::FrameDecoder::Event event = protocol::FrameDecoder::Event::kNeedMore;
  while (!error && event == protocol::FrameDecoder::Event::kNeedMore) {
    const size_t n =
        OnStream([&](auto& stream) { return stream.read_some(asio::buffer(read_buffer_), error); });
    decoder_.Feed(std::string_view(read_buffer_.data(), n));
    event = decoder_.Next(&frame);
  }
  if (error) return name_ + ": AUTH failed: " + error.message();
  if (event == protocol::FrameDecoder::Event::kFatal) {
    return name_ + ": AUTH failed: " + decoder_.fatal_error().error.message;
  }
  protocol::Result<protocol::Response> answer = protocol::ParseResponse(frame.header, frame.body);
  if (!answer.ok()) return name_ + ": AUTH failed: " + answer.error().message;
  Status status = ReplyStatus(answer.value());
  if (!status.ok()) return name_ + ": AUTH refused: " + status.ToString();
  return "";
}

void Connection::SendBatch() {
  const uint32_t count = worker_.run().Claim();
  if (count == 0) {
    error_code ignored;
    socket_.close(ignored);
    worker_.run().ConnectionDone();
    return;
  }
  batch_.clear();
  opcodes_.clear();
  answered_ = 0;
  first_id_ = next_id_;
  for (uint32_t i = 0; i < count; ++i) {
    opcodes_.push_back(worker_.run().workload().Append(&worker_.random(), next_id_++, &batch_));
  }
  sent_at_ = Clock::now();
  OnStream([this](auto& stream) {
    asio::async_write(stream, asio::buffer(batch_), [this](const error_code& error, size_t) {
      if (error) return Fail("write failed: " + error.message());
      ReadAnswers();
    });
  });
}

void Connection::ReadAnswers() {
  OnStream([this](auto& stream) {
    stream.async_read_some(asio::buffer(read_buffer_), [this](const error_code& error, size_t n) {
      if (error == asio::error::eof) return Fail("the server closed the connection");
      if (error) return Fail("read failed: " + error.message());
      decoder_.Feed(std::string_view(read_buffer_.data(), n));
      if (!DecodeAnswers()) return;
      if (answered_ < opcodes_.size()) return ReadAnswers();
      SendBatch();
    });
  });
}

bool Connection::DecodeAnswers() {
  protocol::Frame frame;
  for (;;) {
    switch (decoder_.Next(&frame)) {
      case protocol::FrameDecoder::Event::kNeedMore:
        return true;
      case protocol::FrameDecoder::Event::kFatal:
        Fail("undecodable answer: " + decoder_.fatal_error().error.message);
        return false;
      case protocol::FrameDecoder::Event::kFrame:
        break;
    }
    const Clock::time_point now = Clock::now();
    if (answered_ == opcodes_.size()) {
      Fail("an answer to no request (id " + std::to_string(frame.header.request_id) + ")");
      return false;
    }
    const uint32_t expected_id = first_id_ + static_cast<uint32_t>(answered_);
    if (frame.header.request_id != expected_id) {
      Fail("answer with request id " + std::to_string(frame.header.request_id) + ", expected " +
           std::to_string(expected_id));
      return false;
    }
    protocol::Result<protocol::Response> answer = protocol::ParseResponse(frame.header, frame.body);
    if (!answer.ok()) {
      Fail(answer.error().message);
      return false;
    }
    if (!worker_.Record(opcodes_[answered_], answer.value(), now, now - sent_at_, name_)) {
      return false;
    }
    ++answered_;
  }
}

void Connection::Fail(const std::string& what) { worker_.run().Abort(name_ + ": " + what); }

}  // namespace cairn::bench
