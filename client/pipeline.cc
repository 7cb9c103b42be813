#include "client/pipeline.h"

#include <utility>

#include "client/connection.h"

namespace cairn {

namespace {

Status Detached() {
  return Status(Code::kMisuse, "the pipeline's client was moved or destroyed; not sent");
}

}  // namespace

Pipeline::Pipeline(Client* client, AnswerHandler on_answer)
    : client_(client->Anchor()),
      on_answer_(std::move(on_answer)),
      count_and_deliver_([this](protocol::Response answer) {
        ++answered_;
        on_answer_(std::move(answer));
      }) {}

Pipeline::~Pipeline() {
  if (connection_ != nullptr && *client_ != nullptr) (*client_)->EndRound();
}

Status Pipeline::Add(const protocol::Request& request) {
  if (!failure_.ok()) return failure_;
  Client* const client = *client_;
  if (client == nullptr) return Detached();
  if (connection_ == nullptr) {
    Result<Connection*> ready = client->BeginRound(this);
    if (ready.status().code() == Code::kMisuse) return ready.status();  // nothing changed
    if (!ready.ok()) return Fail(ready.status());
    connection_ = ready.value();
  }
  if (Status queued = connection_->Queue(request); !queued.ok()) return queued;
  ++sent_;
  if (connection_->queued_bytes() < kFlushBytes) return Status();
  return Exchange(/*wait_for_answers=*/false);
}

Status Pipeline::Flush() {
  if (!failure_.ok() || connection_ == nullptr) return failure_;
  if (*client_ == nullptr) return Detached();
  return Exchange(/*wait_for_answers=*/false);
}

Status Pipeline::Finish() {
  Status status = std::exchange(failure_, Status());
  if (connection_ == nullptr) return status;  // no round open
  if (*client_ == nullptr) {
    connection_ = nullptr;  // went with the Client
    return Detached();
  }
  status = Exchange(/*wait_for_answers=*/true);
  failure_ = Status();
  if (connection_ != nullptr) (*client_)->EndRound();  // else Fail() ended it
  connection_ = nullptr;
  return status;
}

Status Pipeline::Exchange(bool wait_for_answers) {
  Status status = connection_->Exchange(
      wait_for_answers ? Connection::Until::kAnswered : Connection::Until::kSent,
      count_and_deliver_);
  return status.ok() ? status : Fail(std::move(status));
}

Status Pipeline::Fail(Status status) {
  failure_ = status;
  if (connection_ != nullptr) {
    (*client_)->Drop();
    (*client_)->EndRound();
  }
  connection_ = nullptr;
  return status;
}

}  // namespace cairn
