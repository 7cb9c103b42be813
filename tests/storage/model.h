// Model: the expected contents of a DB (value and version per key), kept by
// applying the same mutations with the semantics docs/protocol.md gives them.
// Crash tests compare what recovery returns against it.
#pragma once

#include <gtest/gtest.h>

#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "storage/db.h"

namespace cairn::storage {

struct ModelEntry {
  std::string value;
  uint64_t version = 0;
  friend bool operator==(const ModelEntry&, const ModelEntry&) = default;
};
using ModelState = std::map<std::string, ModelEntry>;

// Applies m at version to *state as the store would; false when m writes
// nothing (a failed condition).
inline bool ApplyToModel(const Mutation& m, uint64_t version, ModelState* state) {
  auto current = [&](const std::string& key) {
    auto it = state->find(key);
    return it == state->end() ? 0 : it->second.version;
  };
  switch (m.kind) {
    case Mutation::Kind::kPut:
      (*state)[m.key] = {m.value, version};
      return true;
    case Mutation::Kind::kDelete:
      if (current(m.key) == 0) return false;
      if (m.has_expected_version && m.expected_version != current(m.key)) return false;
      state->erase(m.key);
      return true;
    case Mutation::Kind::kCas:
      if (current(m.key) != m.expected_version) return false;
      (*state)[m.key] = {m.value, version};
      return true;
    case Mutation::Kind::kIncr: {
      int64_t n = 0;
      auto it = state->find(m.key);
      if (it != state->end()) {
        const std::string& v = it->second.value;
        const bool digits =
            !v.empty() && v != "-" &&
            v.find_first_not_of("0123456789", v[0] == '-' ? 1 : 0) == std::string::npos;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (!digits || ec != std::errc() || end != v.data() + v.size()) return false;
      }
      int64_t sum = 0;
      if (__builtin_add_overflow(n, m.delta, &sum)) return false;
      (*state)[m.key] = {std::to_string(sum), version};
      return true;
    }
    case Mutation::Kind::kBatch:
      for (const BatchOp& op : m.ops) {
        if (op.is_delete) {
          state->erase(op.key);
        } else {
          (*state)[op.key] = {op.value, version};
        }
      }
      return true;
  }
  return false;
}

// Everything in db, with versions.
inline ModelState ReadAll(const DB& db) {
  ModelState state;
  std::string start;
  while (true) {
    ScanResult page = db.Scan(start, "", 500, 1 << 30);
    for (auto& [k, v] : page.entries) {
      auto found = db.Get(k);
      state[k] = {v, found ? found->version : 0};
    }
    if (!page.more) break;
    start = page.entries.back().first + std::string(1, '\0');
  }
  return state;
}

// Tracks acknowledged state plus the mutations whose fate is unknown (their
// group failed): recovery may return the acknowledged state followed by any
// prefix of those, and nothing else.
class CrashModel {
 public:
  // Records the outcome of one committed group.
  void Record(const std::vector<Mutation>& group, const std::vector<MutationResult>& results) {
    for (size_t i = 0; i < group.size(); ++i) {
      const MutationResult& r = results[i];
      if (r.code == MutationResult::Code::kIoError || r.code == MutationResult::Code::kReadOnly) {
        unknown_.push_back(group[i]);
        continue;
      }
      ASSERT_TRUE(unknown_.empty()) << "a write succeeded after one failed";
      const bool applied = ApplyToModel(group[i], last_version_ + 1, &acked_);
      ASSERT_EQ(applied, r.code == MutationResult::Code::kOk)
          << "store and model disagree on mutation " << i << " (code " << static_cast<int>(r.code)
          << ")";
      if (applied) {
        ASSERT_EQ(r.version, last_version_ + 1);
        ++last_version_;
      }
    }
  }

  // Checks a recovered db and makes its state the new acknowledged state.
  void CheckRecovered(const DB& db) {
    const ModelState got = ReadAll(db);
    ModelState candidate = acked_;
    uint64_t version = last_version_;
    bool matched = got == candidate;
    for (size_t i = 0; !matched && i < unknown_.size(); ++i) {
      if (ApplyToModel(unknown_[i], version + 1, &candidate)) ++version;
      matched = got == candidate;
    }
    ASSERT_TRUE(matched) << "recovered " << got.size() << " keys; acknowledged " << acked_.size()
                         << " keys plus " << unknown_.size()
                         << " writes of unknown fate match no prefix";
    ASSERT_GE(db.Stats().last_version, last_version_) << "versions went backwards";
    acked_ = got;
    last_version_ = db.Stats().last_version;
    unknown_.clear();
  }

  const ModelState& acked() const { return acked_; }
  uint64_t last_version() const { return last_version_; }

 private:
  ModelState acked_;
  uint64_t last_version_ = 0;
  std::vector<Mutation> unknown_;
};

}  // namespace cairn::storage
