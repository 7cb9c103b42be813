// Worker: one event loop, run by one thread, and the connections it drives.
// Its connections record every answer here; only the worker's thread writes
// the tally, except the two progress counters, which the progress line reads
// from the loop of worker 0.
#pragma once

// clang-format off
#include <utility>  // Boost 1.74's asio/awaitable.hpp needs it first (see server/asio.h)
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
// clang-format on
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/cairn_bench/histogram.h"
#include "bench/cairn_bench/shared_run.h"
#include "bench/cairn_bench/workload.h"
#include "protocol/codes.h"
#include "protocol/response.h"

namespace cairn::bench {

using Clock = std::chrono::steady_clock;

class Connection;
struct ConnectionSettings;

struct Tally {
  Histogram latency_ns;
  uint64_t answered = 0;
  uint64_t errors = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  std::string first_error;        // "PUT answered IO_ERROR: ...", empty without errors
  Clock::time_point last_answer;  // when the worker's last answer was decoded
};

class Worker {
 public:
  // REQUIRES: *run outlives this.
  Worker(SharedRun* run, uint64_t seed);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Connects one more connection (blocking) as settings say (TLS, AUTH).
  // "" on success, else what failed.
  // index (from 1) and peer ("host:port") name it in messages.
  // REQUIRES: the loop is not running.
  std::string AddConnection(const boost::asio::ip::tcp::resolver::results_type& endpoints,
                            size_t index, const std::string& peer,
                            const ConnectionSettings& settings);

  // Sends the first batch of every connection and runs the loop until every
  // connection is done or the run is aborted.
  void Run();

  boost::asio::io_context& loop() { return loop_; }
  SharedRun& run() { return run_; }
  Random& random() { return random_; }

  // Counts the answer to a request of this opcode that took `latency`. False
  // (and the run aborted) if the answer is malformed.
  bool Record(protocol::Opcode opcode, const protocol::Response& answer, Clock::time_point now,
              Clock::duration latency, const std::string& connection_name);

  // REQUIRES: the loop has returned.
  const Tally& tally() const { return tally_; }

  // For the progress line, from any thread.
  uint64_t progress_answered() const { return progress_answered_.load(std::memory_order_relaxed); }
  uint64_t progress_latency_ns() const {
    return progress_latency_ns_.load(std::memory_order_relaxed);
  }

 private:
  SharedRun& run_;
  Random random_;
  boost::asio::io_context loop_{1};  // one thread runs it
  // After loop_: destroyed first, so their sockets close before the loop goes.
  std::vector<std::unique_ptr<Connection>> connections_;
  Tally tally_;
  std::atomic<uint64_t> progress_answered_{0};
  std::atomic<uint64_t> progress_latency_ns_{0};
};

}  // namespace cairn::bench
