// FakeServer: a scripted stand-in for cairnd on a loopback port, to make
// what a real server never does (garbage, a wrong request id, silence, a
// close in the middle of a call) and statuses a test cannot cause on demand
// (READ_ONLY, IO_ERROR, ...). It serves one connection at a time, in order
// of arrival, on its own thread; for every request frame it reads, the
// script says what to do.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "protocol/frame.h"
#include "protocol/response.h"

namespace cairn::client_test {

class FakeServer {
 public:
  struct Action {
    std::string reply;   // bytes to send; empty: send nothing and keep waiting
    bool close = false;  // then close the connection
  };
  using Script = std::function<Action(const protocol::FrameHeader& request)>;

  explicit FakeServer(Script script);
  // Closes everything and joins the thread.
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  uint16_t port() const { return port_; }
  // Connections accepted so far.
  int connections() const { return connections_.load(); }

  // The encoded frame of response answering request (its id echoed).
  static std::string Answer(const protocol::FrameHeader& request, protocol::Response response);

 private:
  void Serve();
  // Serves one connection until it closes, the script closes it, or Stop.
  void ServeConnection(int fd);

  const Script script_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace cairn::client_test
