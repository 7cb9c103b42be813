// TestClient: a blocking TCP client of cairnd on 127.0.0.1, for integration
// tests. It speaks either mode of docs/protocol.md, at the byte level the tests
// need: whole requests (protocol::EncodeRequest), raw bytes (bad input,
// partial frames, text lines), response frames (protocol::FrameDecoder with
// kResponseMagic, then protocol::ParseResponse) and text lines.
//
// Contract:
// - Every read waits at most timeout() (SO_RCVTIMEO; default 5 s). A failed
//   call returns false / nullopt and error() says why: a timeout, the server
//   closing the connection (closed() is then true), or a malformed frame.
// - Reads are buffered: bytes beyond the frame or line asked for are kept
//   for the next call. Use one mode (frames or lines) per connection.
// - Sends never raise SIGPIPE. Send()/SendRaw() may run on one thread while
//   another thread reads; no other concurrent use.
// - The socket is close-on-exec, so cairnd children do not inherit it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame_decoder.h"
#include "protocol/request.h"
#include "protocol/response.h"

namespace cairn::server_test {

class TestClient {
 public:
  TestClient();
  ~TestClient();

  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // Connects to 127.0.0.1:port with TCP_NODELAY.
  bool Connect(uint16_t port);  // to 127.0.0.1
  bool Connect(const std::string& ipv4, uint16_t port);
  bool connected() const { return fd_ >= 0; }
  void Close();

  // Read timeout for every later read.
  void set_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds timeout() const { return timeout_; }

  // Writes all of bytes. False on a socket error (e.g. the server closed).
  bool SendRaw(std::string_view bytes);
  bool Send(const protocol::Request& request);

  // The next response frame.
  std::optional<protocol::Response> ReadResponse();
  // Send(request), then ReadResponse().
  std::optional<protocol::Response> Call(const protocol::Request& request);

  // One recv (waiting up to timeout() for the first byte): the bytes that
  // have arrived, unparsed, at most 64 KiB; nullopt on timeout or close. For
  // tests of how answers are sent. Do not mix with the parsing reads.
  std::optional<std::string> ReceiveOnce();

  // The next text line, without its "\n" (a "\r" before it is kept).
  std::optional<std::string> ReadLine();

  // Waits up to `timeout` for the server to close the connection (EOF or
  // reset). True if it did; bytes received meanwhile are appended to
  // *received when given and otherwise make the wait fail (error() shows
  // them). Bytes already buffered by earlier reads count as received.
  bool WaitForClose(std::chrono::milliseconds timeout, std::string* received = nullptr);

  // True once a read saw EOF or a connection reset.
  bool closed() const { return closed_; }
  const std::string& error() const { return error_; }

 private:
  // Reads what is available (waiting up to timeout_) into *out. False on
  // timeout, EOF or error, with error_ set.
  bool ReadSome(std::string* out);

  int fd_ = -1;
  std::chrono::milliseconds timeout_{5000};
  protocol::FrameDecoder decoder_;
  std::string line_buffer_;
  bool closed_ = false;
  std::string error_;
};

// The next response from decoder, fed by read (which appends what arrives
// to its argument and returns false, with *error set, when nothing can).
// nullopt with *error set on a malformed frame or a failed read.
std::optional<protocol::Response> DecodeResponse(protocol::FrameDecoder* decoder,
                                                 const std::function<bool(std::string*)>& read,
                                                 std::string* error);

// Request builders; request_id 0 unless given, which the server echoes, so
// answers compare equal to the protocol::Response factories.
protocol::Request PingRequest(std::optional<std::string> payload = std::nullopt);
protocol::Request GetRequest(std::string key);
protocol::Request PutRequest(std::string key, std::string value);
protocol::Request DeleteRequest(std::string key);
protocol::Request DeleteRequest(std::string key, uint64_t expected_version);
protocol::Request CasRequest(std::string key, uint64_t expected_version, std::string value);
protocol::Request BatchRequest(std::vector<protocol::BatchOp> ops);
protocol::Request ScanRequest(std::string start, std::string end, uint32_t limit);
protocol::Request IncrRequest(std::string key, int64_t delta);
protocol::Request StatsRequest();
protocol::Request AuthRequest(std::string token);
protocol::Request SnapshotRequest();
protocol::Request WithId(protocol::Request request, uint32_t request_id);

// Raw frame bytes with every header byte chosen by the caller (for bad
// magic, versions, flags, opcodes and lengths): the header, then `body`.
std::string RawFrame(uint8_t magic, uint8_t version, uint8_t code, uint8_t flags,
                     uint32_t request_id, uint32_t body_length, std::string_view body);
// A well-formed request frame with arbitrary fields.
std::string RequestFrame(uint8_t opcode, uint32_t request_id,
                         const std::vector<std::string>& fields);

}  // namespace cairn::server_test
