// What one cairn-bench test sends: the request frames, pre-encoded once, and
// the random keys written into them, exactly as redis-benchmark does it.
//
// Keys. A test's key is the literal "key:__rand_int__" ("counter:__rand_int__"
// for incr, as redis-benchmark's INCR). With a keyspace r > 0 (-r), every
// request gets its own random number in [0, r) written over "__rand_int__" as
// 12 zero-padded decimal digits, so "key:" keys are 16 bytes; with r == 0
// every request uses the literal key. Values are 'x' repeated value_size
// times.
//
// Requests. ping: PING; put: PUT key value; get: GET key; delete: DELETE key;
// incr: INCR key 1; mixed: GET or PUT, chosen at random with the weights
// read:write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/codes.h"

namespace cairn::bench {

enum class TestKind { kPing, kPut, kGet, kDelete, kIncr, kMixed };

// "ping", "put", "get", "delete", "incr", "mixed": the names of the JSON
// output and of -t.
std::string_view TestName(TestKind kind);
// A -t name, case-insensitive, also "set" for put and "del" for delete.
std::optional<TestKind> ParseTestName(std::string_view name);

inline constexpr std::string_view kRandPlaceholder = "__rand_int__";
inline constexpr uint64_t kMaxKeyspace = 1000000000000;  // 12 decimal digits

// Writes value as the 12 zero-padded decimal digits that replace
// kRandPlaceholder. REQUIRES: value < kMaxKeyspace.
void WriteRandInt(uint64_t value, char* out);

// A small fast generator (splitmix64); one per thread.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);

 private:
  uint64_t state_;
};

struct WorkloadSpec {
  TestKind kind = TestKind::kPing;
  uint64_t keyspace = 0;  // 0: the literal key
  uint32_t value_size = 3;
  uint32_t read_weight = 1;  // mixed: GETs per read_weight + write_weight requests
  uint32_t write_weight = 1;
};

// Immutable once built: Append() may run on many threads at once, each with
// its own Random.
class Workload {
 public:
  // REQUIRES: spec.keyspace <= kMaxKeyspace; for mixed, a weight is non-zero.
  explicit Workload(const WorkloadSpec& spec);

  // Appends the next request's frame, with request id `request_id` and a fresh
  // random key, and returns its opcode.
  protocol::Opcode Append(Random* random, uint32_t request_id, std::string* out) const;

 private:
  // One encoded request and where its __rand_int__ digits are (npos for
  // PING or without a keyspace).
  struct Template {
    protocol::Opcode opcode;
    std::string frame;
    size_t digits_at;
  };
  static Template MakeTemplate(protocol::Opcode opcode, const WorkloadSpec& spec);

  uint64_t keyspace_;
  uint32_t read_weight_;
  uint32_t total_weight_;
  // mixed: [GET, PUT]; every other test: its one request.
  std::vector<Template> templates_;
};

}  // namespace cairn::bench
