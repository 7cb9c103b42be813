#include "bench/cairn_bench/answer.h"

#include "client/reply.h"

namespace cairn::bench {

namespace {

Outcome Failed(const Status& failure, Status* status) {
  *status = failure;
  return failure.code() == Code::kProtocolError ? Outcome::kMalformed : Outcome::kError;
}

}  // namespace

Outcome JudgeAnswer(protocol::Opcode opcode, const protocol::Response& response, Status* status) {
  switch (opcode) {
    case protocol::Opcode::kGet: {
      Result<std::optional<Versioned>> read = ReadGetReply(response);
      if (!read.ok()) return Failed(read.status(), status);
      return read.value() ? Outcome::kHit : Outcome::kMiss;
    }
    case protocol::Opcode::kDelete: {
      Result<CondResult> read = ReadCondReply(response);
      if (!read.ok()) return Failed(read.status(), status);
      return read.value().applied ? Outcome::kHit : Outcome::kMiss;
    }
    case protocol::Opcode::kPut: {
      Result<uint64_t> read = ReadVersionReply(response);
      return read.ok() ? Outcome::kOk : Failed(read.status(), status);
    }
    case protocol::Opcode::kIncr: {
      Result<IncrResult> read = ReadIncrReply(response);
      return read.ok() ? Outcome::kOk : Failed(read.status(), status);
    }
    default: {
      Status read = ReplyStatus(response);
      return read.ok() ? Outcome::kOk : Failed(read, status);
    }
  }
}

}  // namespace cairn::bench
