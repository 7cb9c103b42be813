// Mutation and MutationResult: what the writer asks of the storage and what
// it answers, one pair per client request. Conditional commands (CAS,
// conditional DELETE, INCR) are resolved by DB::Commit against the state
// the earlier mutations of the same group leave behind, so the log only ever
// holds plain puts and deletes (which makes replay idempotent).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::storage {

struct BatchOp {
  bool is_delete = false;
  std::string key;
  std::string value;  // empty for a delete
};

struct Mutation {
  enum class Kind { kPut, kDelete, kCas, kIncr, kBatch };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;                  // kPut, kCas
  bool has_expected_version = false;  // kDelete: conditional; kCas: always set
  uint64_t expected_version = 0;      // kCas: 0 means "only if absent"
  int64_t delta = 0;                  // kIncr
  std::vector<BatchOp> ops;           // kBatch; REQUIRES: not empty

  static Mutation Put(std::string key, std::string value);
  static Mutation Delete(std::string key);
  static Mutation DeleteIfVersion(std::string key, uint64_t expected_version);
  static Mutation Cas(std::string key, uint64_t expected_version, std::string value);
  static Mutation Incr(std::string key, int64_t delta);
  static Mutation Batch(std::vector<BatchOp> ops);
};

struct MutationResult {
  enum class Code {
    kOk,
    kNotFound,         // DELETE of an absent key: nothing written
    kVersionMismatch,  // CAS or conditional DELETE: current_version says why
    kTypeError,        // INCR of a non-integer value, or overflow
    kIoError,          // not durable, not applied, took no version
    kReadOnly,         // storage refuses writes until restart
  };
  Code code = Code::kOk;
  uint64_t version = 0;          // kOk: the version this write committed as
  uint64_t current_version = 0;  // kVersionMismatch: the key's version, 0 if absent
  std::string value;             // kIncr: the new value in decimal
  std::string message;           // kTypeError, kIoError, kReadOnly: what went wrong
};

}  // namespace cairn::storage
