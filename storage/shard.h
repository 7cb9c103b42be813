// Shard: one partition of the in-memory index (an OrderedIndex), ordered by
// unsigned bytewise key order, so range and prefix scans visit only what they
// return. Each entry keeps its value and the version that wrote it.
// Thread-safe: readers share the lock, the writer takes it exclusively for
// one key at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/ordered_index.h"
#include "storage/snapshot.h"

namespace cairn::storage {

struct IndexEntry {
  std::string value;
  uint64_t version = 0;
};

class Shard {
 public:
  std::optional<IndexEntry> Get(std::string_view key) const;
  // 0 when the key is absent.
  uint64_t VersionOf(std::string_view key) const;
  void Put(std::string_view key, std::string_view value, uint64_t version);
  void Delete(std::string_view key);
  // OrderedIndex::Reserve.
  void Reserve(size_t n);

  // Appends up to limit entries with keys in [start, end) (empty end: no
  // bound) to *out, in key order.
  void Scan(std::string_view start, std::string_view end, size_t limit,
            std::vector<std::pair<std::string, IndexEntry>>* out) const;

  // A copy of every entry, in key order, for a snapshot; the lock is held only
  // while copying. Calls before_unlock() under the lock, so the caller can
  // read the version the copy covers atomically with it.
  template <typename F>
  std::vector<SnapshotEntry> Copy(F&& before_unlock) const {
    std::shared_lock lock(mu_);
    before_unlock();
    std::vector<SnapshotEntry> entries;
    entries.reserve(index_.size());
    index_.VisitFrom({}, [&](const IndexRecord& r) {
      entries.push_back({std::string(r.key()), std::string(r.value()), r.version()});
      return true;
    });
    return entries;
  }

  uint64_t size() const;
  uint64_t key_bytes() const;
  uint64_t value_bytes() const;
  // Heap bytes of the index (OrderedIndex::memory_bytes).
  uint64_t memory_bytes() const;

 private:
  mutable std::shared_mutex mu_;
  OrderedIndex index_;
  uint64_t key_bytes_ = 0;
  uint64_t value_bytes_ = 0;
};

}  // namespace cairn::storage
