// Connection: one benchmark connection, driven the way redis-benchmark
// drives one: claim up to -P requests from the test's budget, write them in
// one batch, decode answers until the whole batch is answered, repeat until
// the budget is spent. A request's latency runs from just before its batch
// is written to the moment its answer is decoded (steady clock).
//
// Answers must come in order with the request ids sent (docs/protocol.md
// "Pipelining and order"). Any failure (connection closed or reset, an
// undecodable or unexpected answer) aborts the whole test through
// SharedRun::Abort with a message naming the connection. With TLS the same
// happens over an asio::ssl::stream on the socket, after a blocking
// handshake in Open.
#pragma once

// clang-format off
#include <utility>  // Boost 1.74's asio/awaitable.hpp needs it first (see server/asio.h)
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
// clang-format on
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/cairn_bench/worker.h"
#include "protocol/codes.h"
#include "protocol/frame_decoder.h"

namespace cairn::bench {

// How every connection of a run is opened.
struct ConnectionSettings {
  std::string token;                         // empty: no AUTH
  boost::asio::ssl::context* tls = nullptr;  // null: plain TCP
  std::string tls_server_name;               // SNI, and the name verified
  bool tls_verify = true;
};

class Connection {
 public:
  // index (from 1) and peer ("host:port") name the connection in messages.
  // REQUIRES: *worker outlives this.
  Connection(Worker* worker, size_t index, const std::string& peer);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects (blocking), sets TCP_NODELAY, runs the TLS handshake when
  // settings.tls is set and, when settings.token is not empty, AUTHs
  // (blocking). "" on success, else what failed.
  std::string Open(const boost::asio::ip::tcp::resolver::results_type& endpoints,
                   const ConnectionSettings& settings);

  // Claims and writes the next batch; when the budget is spent, closes the
  // connection and reports it done. Runs on the worker's loop.
  void SendBatch();

 private:
  void ReadAnswers();
  // Decodes every complete answer buffered. False once the run was aborted.
  bool DecodeAnswers();
  void Fail(const std::string& what);
  // Runs operation on the stream requests travel on: TLS or the socket.
  template <typename Operation>
  auto OnStream(Operation&& operation) {
    return tls_ ? operation(*tls_) : operation(socket_);
  }

  Worker& worker_;
  const std::string peer_;
  const std::string name_;  // "connection N to host:port"
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  protocol::FrameDecoder decoder_;
  std::vector<char> read_buffer_;
  std::string batch_;                      // the encoded requests of the batch in flight
  std::vector<protocol::Opcode> opcodes_;  // of each request in the batch
  size_t answered_ = 0;                    // answers of the batch decoded so far
  uint32_t first_id_ = 0;                  // the request id of opcodes_[0]
  uint32_t next_id_ = 1;
  Clock::time_point sent_at_;
};

}  // namespace cairn::bench
