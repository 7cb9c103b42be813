// Pipeline: many requests on one Client's connection without waiting for
// each answer, for bulk loads and benchmarks. The answers come back in the
// order the requests were added and go to a callback as they arrive.
//
// Requests are encoded into one buffer, written in large writes whenever
// kFlushBytes are queued, and at Flush() and Finish(). Answers are decoded
// incrementally as their bytes arrive, also while a write is blocked, so the
// socket buffers of either side cannot fill up and deadlock, and memory
// stays near kFlushBytes plus whatever the callback keeps.
//
// Usage:
//   std::vector<cairn::protocol::Response> answers;
//   cairn::Pipeline pipeline(&client, [&answers](cairn::protocol::Response answer) {
//     answers.push_back(std::move(answer));
//   });
//   for (...) pipeline.Add(cairn::PutRequest(key, value));   // requests.h
//   cairn::Status status = pipeline.Finish();
//   // answers[i] answers the i-th request; read it with reply.h, e.g.
//   // cairn::ReadVersionReply(answers[i]).
//
// Failure. A request over ClientOptions::max_frame_bytes is refused by its
// Add() (kTooLarge, not queued, not counted) and the pipeline goes on. A
// connection error ends the round: the Add() that met it and every later
// Add() return it, and so does Finish(). The first answered() requests got
// their answers; the others may or may not have been executed (client.h on
// retry safety). After Finish() the pipeline starts a new round on the next
// Add(), on a new connection if the old one failed.
//
// Misuse. From the first Add() to the end of Finish() (a round) the
// pipeline owns the Client's connection: the Client's own calls, Connect(),
// Close(), and a second Pipeline's Add() on the same Client return kMisuse
// without sending anything, and this pipeline goes on. Moving or destroying
// the Client detaches the pipeline: its calls return kMisuse from then on.
// Destroying a pipeline in mid-round ends the round and, if answers are
// pending, closes the Client's connection (those answers are lost). The
// callback runs inside Add(), Flush() and Finish(), possibly for the request
// being added; it must not move or destroy the Client (its calls return
// kMisuse). Thread safety is the Client's: one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "client/client.h"
#include "client/status.h"
#include "protocol/request.h"
#include "protocol/response.h"

namespace cairn {

class Connection;

class Pipeline {
 public:
  // Bytes of encoded requests that trigger a write.
  static constexpr size_t kFlushBytes = 256 * 1024;

  using AnswerHandler = std::function<void(protocol::Response)>;

  Pipeline(Client* client, AnswerHandler on_answer);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Queues request (opening the round, and connecting, if needed), writing
  // the queue when it holds kFlushBytes. REQUIRES: request is valid for its
  // opcode.
  Status Add(const protocol::Request& request);
  // Writes what is queued without waiting for the answers (those that have
  // arrived meanwhile are delivered): for a producer about to block, so the
  // requests already added do not wait in the buffer.
  Status Flush();
  // Writes what is queued, waits for every answer, and ends the round.
  Status Finish();

  // Requests queued, and answers delivered, since construction.
  size_t sent() const { return sent_; }
  size_t answered() const { return answered_; }

 private:
  // REQUIRES: a round is open and the Client is still there.
  Status Exchange(bool wait_for_answers);
  // Ends the round with status: drops the connection, refuses later Add()s.
  Status Fail(Status status);

  // *client_ is the Client, or nullptr once it was moved or destroyed.
  const std::shared_ptr<Client*> client_;
  const AnswerHandler on_answer_;
  const AnswerHandler count_and_deliver_;  // counts, then calls on_answer_
  Connection* connection_ = nullptr;       // the client's while a round is open
  Status failure_;
  size_t sent_ = 0;
  size_t answered_ = 0;
};

}  // namespace cairn
