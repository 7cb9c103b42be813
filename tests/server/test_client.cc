#include "tests/server/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "protocol/text.h"

namespace cairn::server_test {

namespace {

constexpr size_t kReadChunk = 64 * 1024;

void SetReceiveTimeout(int fd, std::chrono::milliseconds timeout) {
  auto ms = std::max<int64_t>(timeout.count(), 1);  // 0 would mean "forever"
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

}  // namespace

TestClient::TestClient()
    : decoder_(protocol::kResponseMagic, std::numeric_limits<uint32_t>::max()) {}

TestClient::~TestClient() { Close(); }

bool TestClient::Connect(uint16_t port) { return Connect("127.0.0.1", port); }

bool TestClient::Connect(const std::string& ipv4, uint16_t port) {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ipv4.c_str(), &addr.sin_addr) != 1) {
    error_ = "not an IPv4 address: " + ipv4;
    Close();
    return false;
  }
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    error_ = "connect to " + ipv4 + ":" + std::to_string(port) + ": " + std::strerror(errno);
    Close();
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval send_timeout{};
  send_timeout.tv_sec = 30;
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  SetReceiveTimeout(fd_, timeout_);
  closed_ = false;
  error_.clear();
  return true;
}

void TestClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void TestClient::set_timeout(std::chrono::milliseconds timeout) {
  timeout_ = timeout;
  if (fd_ >= 0) SetReceiveTimeout(fd_, timeout_);
}

bool TestClient::SendRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool TestClient::Send(const protocol::Request& request) {
  std::string frame;
  protocol::EncodeRequest(request, &frame);
  return SendRaw(frame);
}

bool TestClient::ReadSome(std::string* out) {
  char buffer[kReadChunk];
  while (true) {
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      out->append(buffer, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) {
      closed_ = true;
      error_ = "the server closed the connection";
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      error_ = "timed out after " + std::to_string(timeout_.count()) + " ms";
    } else {
      if (errno == ECONNRESET) closed_ = true;
      error_ = std::string("recv: ") + std::strerror(errno);
    }
    return false;
  }
}

std::optional<std::string> TestClient::ReceiveOnce() {
  std::string bytes;
  if (!ReadSome(&bytes)) return std::nullopt;
  return bytes;
}

std::optional<protocol::Response> TestClient::ReadResponse() {
  return DecodeResponse(
      &decoder_, [this](std::string* chunk) { return ReadSome(chunk); }, &error_);
}

std::optional<protocol::Response> DecodeResponse(protocol::FrameDecoder* decoder,
                                                 const std::function<bool(std::string*)>& read,
                                                 std::string* error) {
  while (true) {
    protocol::Frame frame;
    switch (decoder->Next(&frame)) {
      case protocol::FrameDecoder::Event::kFrame: {
        protocol::Result<protocol::Response> response =
            protocol::ParseResponse(frame.header, frame.body);
        if (!response.ok()) {
          *error = response.error().message;
          return std::nullopt;
        }
        return std::move(response).value();
      }
      case protocol::FrameDecoder::Event::kFatal:
        *error = "bad response header: " + decoder->fatal_error().error.message;
        return std::nullopt;
      case protocol::FrameDecoder::Event::kNeedMore:
        break;
    }
    std::string chunk;
    if (!read(&chunk)) {
      if (decoder->buffered_bytes() > 0) {
        *error += " (" + std::to_string(decoder->buffered_bytes()) +
                  " bytes of an incomplete frame buffered)";
      }
      return std::nullopt;
    }
    decoder->Feed(chunk);
  }
}

std::optional<protocol::Response> TestClient::Call(const protocol::Request& request) {
  if (!Send(request)) return std::nullopt;
  return ReadResponse();
}

std::optional<std::string> TestClient::ReadLine() {
  while (true) {
    size_t newline = line_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = line_buffer_.substr(0, newline);
      line_buffer_.erase(0, newline + 1);
      return line;
    }
    if (!ReadSome(&line_buffer_)) {
      if (!line_buffer_.empty()) {
        error_ += "; partial line " + protocol::QuoteText(line_buffer_);
      }
      return std::nullopt;
    }
  }
}

bool TestClient::WaitForClose(std::chrono::milliseconds timeout, std::string* received) {
  std::string got = line_buffer_;
  line_buffer_.clear();
  const size_t frame_bytes = decoder_.buffered_bytes();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool closed = closed_;
  while (!closed) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    SetReceiveTimeout(fd_, left);
    char buffer[kReadChunk];
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      got.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno == ECONNRESET) {
      closed = true;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = std::string("recv: ") + std::strerror(errno);
      break;
    }
  }
  SetReceiveTimeout(fd_, timeout_);
  closed_ = closed;
  if (received != nullptr) {
    received->append(got);
  } else if (!got.empty() || frame_bytes > 0) {
    error_ =
        "received unexpected bytes before the close: " + protocol::QuoteText(got) +
        (frame_bytes > 0 ? " (+" + std::to_string(frame_bytes) + " buffered frame bytes)" : "");
    return false;
  }
  if (!closed) {
    error_ = "the connection is still open after " + std::to_string(timeout.count()) + " ms";
    return false;
  }
  return true;
}

protocol::Request PingRequest(std::optional<std::string> payload) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kPing;
  request.ping_payload = std::move(payload);
  return request;
}

protocol::Request GetRequest(std::string key) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kGet;
  request.key = std::move(key);
  return request;
}

protocol::Request PutRequest(std::string key, std::string value) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kPut;
  request.key = std::move(key);
  request.value = std::move(value);
  return request;
}

protocol::Request DeleteRequest(std::string key) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kDelete;
  request.key = std::move(key);
  return request;
}

protocol::Request DeleteRequest(std::string key, uint64_t expected_version) {
  protocol::Request request = DeleteRequest(std::move(key));
  request.has_expected_version = true;
  request.expected_version = expected_version;
  return request;
}

protocol::Request CasRequest(std::string key, uint64_t expected_version, std::string value) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kCas;
  request.key = std::move(key);
  request.has_expected_version = true;
  request.expected_version = expected_version;
  request.value = std::move(value);
  return request;
}

protocol::Request BatchRequest(std::vector<protocol::BatchOp> ops) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kBatch;
  request.batch = std::move(ops);
  return request;
}

protocol::Request ScanRequest(std::string start, std::string end, uint32_t limit) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kScan;
  request.start = std::move(start);
  request.end = std::move(end);
  request.limit = limit;
  return request;
}

protocol::Request IncrRequest(std::string key, int64_t delta) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kIncr;
  request.key = std::move(key);
  request.delta = delta;
  return request;
}

protocol::Request StatsRequest() {
  protocol::Request request;
  request.opcode = protocol::Opcode::kStats;
  return request;
}

protocol::Request AuthRequest(std::string token) {
  protocol::Request request;
  request.opcode = protocol::Opcode::kAuth;
  request.token = std::move(token);
  return request;
}

protocol::Request SnapshotRequest() {
  protocol::Request request;
  request.opcode = protocol::Opcode::kSnapshot;
  return request;
}

protocol::Request WithId(protocol::Request request, uint32_t request_id) {
  request.request_id = request_id;
  return request;
}

std::string RawFrame(uint8_t magic, uint8_t version, uint8_t code, uint8_t flags,
                     uint32_t request_id, uint32_t body_length, std::string_view body) {
  protocol::FrameHeader header;
  header.magic = magic;
  header.version = version;
  header.code = code;
  header.flags = flags;
  header.request_id = request_id;
  header.body_length = body_length;
  std::string out;
  protocol::AppendHeader(&out, header);
  out.append(body);
  return out;
}

std::string RequestFrame(uint8_t opcode, uint32_t request_id,
                         const std::vector<std::string>& fields) {
  std::vector<std::string_view> views(fields.begin(), fields.end());
  std::string out;
  protocol::AppendFrame(&out, protocol::kRequestMagic, opcode, request_id, views);
  return out;
}

}  // namespace cairn::server_test
