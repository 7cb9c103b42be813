// What one answer counts as in cairn-bench's tallies. OK is a success;
// NOT_FOUND is a miss for GET and DELETE (a GET of a key never put, a DELETE
// of a key already gone), not an error; every other status is an error
// (counted, the run goes on). An answer that breaks docs/protocol.md (an OK of the
// wrong shape) is malformed: the run stops, as for a broken connection.
#pragma once

#include "client/status.h"
#include "protocol/codes.h"
#include "protocol/response.h"

namespace cairn::bench {

enum class Outcome {
  kOk,         // PING, PUT, INCR answered OK
  kHit,        // GET found the key; DELETE deleted it
  kMiss,       // GET or DELETE answered NOT_FOUND
  kError,      // *status says which
  kMalformed,  // *status says how
};

// Judges the answer to a request with this opcode, read with client/reply.h.
// REQUIRES: opcode is PING, GET, PUT, DELETE (without expected version) or INCR.
Outcome JudgeAnswer(protocol::Opcode opcode, const protocol::Response& response, Status* status);

}  // namespace cairn::bench
