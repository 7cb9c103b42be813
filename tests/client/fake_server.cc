#include "tests/client/fake_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "protocol/frame_decoder.h"
#include "protocol/request.h"

namespace cairn::client_test {

FakeServer::FakeServer(Script script) : script_(std::move(script)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  listen(listen_fd_, 16);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  pipe2(stop_pipe_, O_CLOEXEC);
  thread_ = std::thread([this] { Serve(); });
}

FakeServer::~FakeServer() {
  close(stop_pipe_[1]);  // wakes the thread: its poll sees the pipe's end
  thread_.join();
  close(stop_pipe_[0]);
  close(listen_fd_);
}

std::string FakeServer::Answer(const protocol::FrameHeader& request, protocol::Response response) {
  response.request_id = request.request_id;
  std::string bytes;
  protocol::EncodeResponse(response, &bytes);
  return bytes;
}

void FakeServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    ServeConnection(fd);
    close(fd);
  }
}

void FakeServer::ServeConnection(int fd) {
  protocol::FrameDecoder decoder(protocol::kRequestMagic, protocol::Limits{}.max_frame_bytes);
  while (true) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    char buffer[65536];
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return;
    decoder.Feed(std::string_view(buffer, static_cast<size_t>(n)));
    protocol::Frame frame;
    while (decoder.Next(&frame) == protocol::FrameDecoder::Event::kFrame) {
      const Action action = script_(frame.header);
      if (!action.reply.empty() &&
          send(fd, action.reply.data(), action.reply.size(), MSG_NOSIGNAL) < 0) {
        return;
      }
      if (action.close) return;
    }
  }
}

}  // namespace cairn::client_test
