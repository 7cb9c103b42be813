// OrderedIndex: the keys of one shard in unsigned bytewise order, built to
// spend little memory per key (the budget is 64 bytes of overhead
// beyond the key and value bytes; std::map with std::string members spends
// about 150).
//
// Layout:
//   record   one heap block per key (index_record.h)
//   leaf     a sorted array of up to kLeafCapacity record pointers, each
//            tagged (tagged_record.h) with the two key bytes that follow
//            the prefix every key of the leaf shares; the search in a leaf
//            compares tags and reads a record only where tags tie
//   leaves_  the leaves in key order; every leaf holds at least one record
//   table_   a hash table of the same records (record_table.h)
//
// A point lookup (Find, and Put of a value of the same size) reads the hash
// table only. Ordered access, and an insert, binary-searches the leaves by
// their first key, then the leaf by tags: about one record read per
// search instead of one per comparison.
// A full leaf splits in two, except that an insert past the last key of the
// last leaf starts a new leaf, so keys loaded in order (a snapshot) fill
// leaves completely. A leaf that falls under a quarter full merges with a
// neighbour when the two fit in half a leaf.
//
// Not thread-safe: the Shard that owns it holds the lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "storage/index_record.h"
#include "storage/record_table.h"
#include "storage/tagged_record.h"

namespace cairn::storage {

class OrderedIndex {
 public:
  static constexpr size_t kLeafCapacity = 128;

  OrderedIndex() = default;
  ~OrderedIndex();
  OrderedIndex(const OrderedIndex&) = delete;
  OrderedIndex& operator=(const OrderedIndex&) = delete;

  // nullptr when absent. Valid until the next change of the index.
  const IndexRecord* Find(std::string_view key) const;

  // Inserts key or replaces its value and version. Returns the replaced
  // record's value size, or -1 when the key was new.
  int64_t Put(std::string_view key, std::string_view value, uint64_t version);

  // Returns the erased record's value size, or -1 when the key was absent.
  int64_t Erase(std::string_view key);

  // A hint: about n keys are coming. Sizes the hash table for them at once.
  void Reserve(size_t n) { table_.Reserve(n); }

  // Calls visit(const IndexRecord&) for each record with key >= start, in key
  // order, while visit returns true.
  template <typename Visit>
  void VisitFrom(std::string_view start, Visit&& visit) const {
    for (Position p = LowerBound(start); p.leaf < leaves_.size(); ++p.leaf, p.slot = 0) {
      const Leaf& leaf = *leaves_[p.leaf];
      for (; p.slot < leaf.count; ++p.slot) {
        if (!visit(*TaggedRecordPointer(leaf.records[p.slot]))) return;
      }
    }
  }

  size_t size() const { return size_; }
  // Heap bytes the index holds (leaves, the leaf array and the bytes asked
  // for records), not counting the allocator's own per-block overhead.
  size_t memory_bytes() const;
  // Of those, the hash table's.
  size_t table_bytes() const { return table_.memory_bytes(); }

 private:
  struct Leaf {
    uint32_t count = 0;
    // Bytes every key of the leaf shares (a lower bound: removals may leave
    // it short); records[i]'s tag is KeyTag(its key, prefix).
    uint32_t prefix = 0;
    uint64_t records[kLeafCapacity];
  };
  // Where key is or would be inserted. slot == count only in the last leaf
  // (or leaf == 0 of an empty index).
  struct Position {
    size_t leaf = 0;
    size_t slot = 0;
  };

  Position LowerBound(std::string_view key) const;
  bool Holds(Position p, std::string_view key) const;
  const IndexRecord* RecordAt(size_t leaf, size_t slot) const;
  // Where key is or would go in leaf: a slot, or count if past its keys.
  static size_t SlotIn(const Leaf& leaf, std::string_view key);
  // Lowers leaf.prefix to prefix and tags its records for it.
  static void Retag(Leaf* leaf, uint32_t prefix);
  void InsertAt(Position p, IndexRecord* record);
  void RemoveAt(Position p);
  void MergeIfSparse(size_t leaf);

  std::vector<std::unique_ptr<Leaf>> leaves_;
  RecordTable table_;
  size_t size_ = 0;
  size_t record_bytes_ = 0;
};

}  // namespace cairn::storage
