#include "bench/cairn_bench/workload.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "client/requests.h"
#include "protocol/frame.h"
#include "protocol/request.h"

namespace cairn::bench {

namespace {

using protocol::Opcode;

struct NamedTest {
  std::string_view name;
  TestKind kind;
  Opcode opcode;  // the test's one request; mixed has two
};

// Canonical names first: TestName() returns the first match.
constexpr NamedTest kTestNames[] = {
    {"ping", TestKind::kPing, Opcode::kPing}, {"put", TestKind::kPut, Opcode::kPut},
    {"get", TestKind::kGet, Opcode::kGet},    {"delete", TestKind::kDelete, Opcode::kDelete},
    {"incr", TestKind::kIncr, Opcode::kIncr}, {"mixed", TestKind::kMixed, Opcode::kGet},
    {"set", TestKind::kPut, Opcode::kPut},    {"del", TestKind::kDelete, Opcode::kDelete},
};

const NamedTest& Find(TestKind kind) {
  for (const NamedTest& test : kTestNames) {
    if (test.kind == kind) return test;
  }
  return kTestNames[0];
}

}  // namespace

std::string_view TestName(TestKind kind) { return Find(kind).name; }

std::optional<TestKind> ParseTestName(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const NamedTest& test : kTestNames) {
    if (test.name == lower) return test.kind;
  }
  return std::nullopt;
}

void WriteRandInt(uint64_t value, char* out) {
  for (int i = static_cast<int>(kRandPlaceholder.size()) - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

uint64_t Random::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// Lemire's multiply-shift: the bias is below n / 2^64, far under what a
// benchmark can see, and there is no division.
uint64_t Random::Uniform(uint64_t n) {
  __extension__ using Wide = unsigned __int128;
  return static_cast<uint64_t>((static_cast<Wide>(Next()) * n) >> 64);
}

Workload::Template Workload::MakeTemplate(Opcode opcode, const WorkloadSpec& spec) {
  const std::string key = std::string(spec.kind == TestKind::kIncr ? "counter:" : "key:") +
                          std::string(kRandPlaceholder);
  protocol::Request request;
  switch (opcode) {
    case Opcode::kPut:
      request = PutRequest(key, std::string(spec.value_size, 'x'));
      break;
    case Opcode::kGet:
      request = GetRequest(key);
      break;
    case Opcode::kDelete:
      request = DelRequest(key);
      break;
    case Opcode::kIncr:
      request = IncrRequest(key, 1);
      break;
    default:
      request = PingRequest();
      break;
  }
  Template result{opcode, "", std::string::npos};
  protocol::EncodeRequest(request, &result.frame);
  if (opcode != Opcode::kPing && spec.keyspace > 0) {
    // The key is the first field, so the first match is the key's even if
    // the value happened to contain the placeholder.
    result.digits_at = result.frame.find(kRandPlaceholder, protocol::kHeaderSize);
  }
  return result;
}

Workload::Workload(const WorkloadSpec& spec)
    : keyspace_(spec.keyspace),
      read_weight_(spec.read_weight),
      total_weight_(spec.read_weight + spec.write_weight) {
  if (spec.kind == TestKind::kMixed) {
    templates_.push_back(MakeTemplate(Opcode::kGet, spec));
    templates_.push_back(MakeTemplate(Opcode::kPut, spec));
  } else {
    templates_.push_back(MakeTemplate(Find(spec.kind).opcode, spec));
  }
}

Opcode Workload::Append(Random* random, uint32_t request_id, std::string* out) const {
  const Template& chosen = templates_.size() == 1 || random->Uniform(total_weight_) < read_weight_
                               ? templates_[0]
                               : templates_[1];
  const size_t start = out->size();
  out->append(chosen.frame);
  char* frame = out->data() + start;
  // The request id field of the header, big-endian (docs/protocol.md section 2).
  for (int i = 0; i < 4; ++i) frame[4 + i] = static_cast<char>(request_id >> (24 - 8 * i));
  if (chosen.digits_at != std::string::npos) {
    WriteRandInt(random->Uniform(keyspace_), frame + chosen.digits_at);
  }
  return chosen.opcode;
}

}  // namespace cairn::bench
