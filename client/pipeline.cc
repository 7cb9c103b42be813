#include "client/pipeline.h"

#include <utility>

#include "client/connection.h"

namespace cairn {

Pipeline::Pipeline(Client* client, AnswerHandler on_answer)
    : client_(client),
      on_answer_(std::move(on_answer)),
      count_and_deliver_([this](protocol::Response answer) {
        ++answered_;
        on_answer_(std::move(answer));
      }) {}

Pipeline::~Pipeline() {
  if (connection_ != nullptr && connection_->in_flight() > 0) client_->Drop();
}

Status Pipeline::Add(const protocol::Request& request) {
  if (!failure_.ok()) return failure_;
  if (connection_ == nullptr) {
    Result<Connection*> ready = client_->Ready();
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
  return Exchange(/*wait_for_answers=*/false);
}

Status Pipeline::Finish() {
  Status status = failure_;
  if (status.ok() && connection_ != nullptr) status = Exchange(/*wait_for_answers=*/true);
  connection_ = nullptr;
  failure_ = Status();
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
  if (connection_ != nullptr) client_->Drop();
  connection_ = nullptr;
  return status;
}

}  // namespace cairn
