#include "storage/mutation.h"

#include <utility>

namespace cairn::storage {

Mutation Mutation::Put(std::string key, std::string value) {
  Mutation m;
  m.kind = Kind::kPut;
  m.key = std::move(key);
  m.value = std::move(value);
  return m;
}

Mutation Mutation::Delete(std::string key) {
  Mutation m;
  m.kind = Kind::kDelete;
  m.key = std::move(key);
  return m;
}

Mutation Mutation::DeleteIfVersion(std::string key, uint64_t expected_version) {
  Mutation m = Delete(std::move(key));
  m.has_expected_version = true;
  m.expected_version = expected_version;
  return m;
}

Mutation Mutation::Cas(std::string key, uint64_t expected_version, std::string value) {
  Mutation m = Put(std::move(key), std::move(value));
  m.kind = Kind::kCas;
  m.has_expected_version = true;
  m.expected_version = expected_version;
  return m;
}

Mutation Mutation::Incr(std::string key, int64_t delta) {
  Mutation m;
  m.kind = Kind::kIncr;
  m.key = std::move(key);
  m.delta = delta;
  return m;
}

Mutation Mutation::Batch(std::vector<BatchOp> ops) {
  Mutation m;
  m.kind = Kind::kBatch;
  m.ops = std::move(ops);
  return m;
}

}  // namespace cairn::storage
