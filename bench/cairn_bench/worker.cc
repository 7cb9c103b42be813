#include "bench/cairn_bench/worker.h"

#include <boost/asio/post.hpp>

#include "bench/cairn_bench/answer.h"
#include "bench/cairn_bench/connection.h"

namespace cairn::bench {

Worker::Worker(SharedRun* run, uint64_t seed) : run_(*run), random_(seed) { run_.AddLoop(&loop_); }

Worker::~Worker() = default;

std::string Worker::AddConnection(const boost::asio::ip::tcp::resolver::results_type& endpoints,
                                  size_t index, const std::string& peer,
                                  const ConnectionSettings& settings) {
  auto connection = std::make_unique<Connection>(this, index, peer);
  std::string error = connection->Open(endpoints, settings);
  if (error.empty()) connections_.push_back(std::move(connection));
  return error;
}

void Worker::Run() {
  for (const std::unique_ptr<Connection>& connection : connections_) {
    boost::asio::post(loop_, [c = connection.get()] { c->SendBatch(); });
  }
  loop_.run();
}

bool Worker::Record(protocol::Opcode opcode, const protocol::Response& answer,
                    Clock::time_point now, Clock::duration latency,
                    const std::string& connection_name) {
  Status status;
  switch (JudgeAnswer(opcode, answer, &status)) {
    case Outcome::kOk:
      break;
    case Outcome::kHit:
      ++tally_.hits;
      break;
    case Outcome::kMiss:
      ++tally_.misses;
      break;
    case Outcome::kError:
      if (tally_.errors++ == 0) {
        tally_.first_error =
            std::string(protocol::OpcodeName(opcode)) + " answered " + status.ToString();
      }
      break;
    case Outcome::kMalformed:
      run_.Abort(connection_name + ": malformed answer to " +
                 std::string(protocol::OpcodeName(opcode)) + ": " + status.message());
      return false;
  }
  const uint64_t nanos = static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count()));
  tally_.latency_ns.Record(nanos);
  ++tally_.answered;
  tally_.last_answer = now;
  // Single writer: a plain store is enough, and cheaper than fetch_add.
  progress_answered_.store(tally_.answered, std::memory_order_relaxed);
  progress_latency_ns_.store(progress_latency_ns_.load(std::memory_order_relaxed) + nanos,
                             std::memory_order_relaxed);
  return true;
}

}  // namespace cairn::bench
