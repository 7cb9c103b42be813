// RecordTable: finds an index record by its key in about two memory reads,
// beside OrderedIndex's sorted leaves (which keep the order for scans and
// snapshots, but cost a dozen dependent reads per lookup).
//
// Layout: an open-addressing hash table of record pointers, linear probing,
// capacity a power of two (at least 16), home slot from the top bits of the
// key's hash. Each slot is one u64: 0 empty, 1 a deleted entry (tombstone),
// else a record pointer with 16 more bits of the hash in its top 16 bits
// (user-space pointers fit in 48 bits), so probes past other keys rarely
// read their records. The table is rebuilt at 7/8 full (live entries plus
// tombstones): twice as big when over half of it is live, else as big.
//
// Does not own the records. Not thread-safe: the Shard's lock covers it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "storage/index_record.h"

namespace cairn::storage {

class RecordTable {
 public:
  // nullptr when no record has key.
  IndexRecord* Find(std::string_view key) const;
  // REQUIRES: no record with record->key() is in the table.
  void Insert(IndexRecord* record);
  // Puts replacement where record was. REQUIRES: record is in the table,
  // replacement->key() == record->key().
  void Replace(const IndexRecord* record, IndexRecord* replacement);
  // REQUIRES: record is in the table.
  void Erase(const IndexRecord* record);
  // Makes room for n entries in all, so that inserting up to n rebuilds nothing.
  void Reserve(size_t n);

  size_t size() const { return size_; }
  size_t memory_bytes() const { return capacity_ * sizeof(uint64_t); }

 private:
  // The slot holding record. REQUIRES: record is in the table.
  size_t SlotOf(const IndexRecord* record) const;
  void Rebuild(size_t capacity);

  std::unique_ptr<uint64_t[]> slots_;
  size_t capacity_ = 0;
  int shift_ = 64;   // 64 - log2(capacity_): the hash's top bits pick the home slot
  size_t size_ = 0;  // live entries
  size_t tombstones_ = 0;
};

}  // namespace cairn::storage
