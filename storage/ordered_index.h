// OrderedIndex: the keys of one shard in unsigned bytewise order, built to
// spend little memory per key (the budget is 64 bytes of overhead
// beyond the key and value bytes; std::map with std::string members spends
// about 150).
//
// Layout:
//   record   one heap block per key: [version u64][key size u32]
//            [value size u32][key bytes][value bytes]  (16-byte header)
//   leaf     a sorted array of up to kLeafCapacity record pointers
//   leaves_  the leaves in key order; every leaf holds at least one record
//
// A lookup binary-searches the leaves by their first key, then the leaf.
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

namespace cairn::storage {

class IndexRecord {
 public:
  // One allocation holding the header, key and value.
  static IndexRecord* New(std::string_view key, std::string_view value, uint64_t version);
  static void Free(IndexRecord* record);
  // Bytes the allocator was asked for: header, key and value.
  static size_t AllocationSize(size_t key_size, size_t value_size);

  std::string_view key() const { return {bytes(), key_size_}; }
  std::string_view value() const { return {bytes() + key_size_, value_size_}; }
  uint64_t version() const { return version_; }

  // REQUIRES: value.size() == this->value().size().
  void Overwrite(std::string_view value, uint64_t version);

 private:
  IndexRecord(uint32_t key_size, uint32_t value_size, uint64_t version)
      : version_(version), key_size_(key_size), value_size_(value_size) {}
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  char* bytes() { return reinterpret_cast<char*>(this + 1); }

  uint64_t version_;
  uint32_t key_size_;
  uint32_t value_size_;
};
static_assert(sizeof(IndexRecord) == 16);

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

  // Calls visit(const IndexRecord&) for each record with key >= start, in key
  // order, while visit returns true.
  template <typename Visit>
  void VisitFrom(std::string_view start, Visit&& visit) const {
    for (Position p = LowerBound(start); p.leaf < leaves_.size(); ++p.leaf, p.slot = 0) {
      const Leaf& leaf = *leaves_[p.leaf];
      for (; p.slot < leaf.count; ++p.slot) {
        if (!visit(*leaf.records[p.slot])) return;
      }
    }
  }

  size_t size() const { return size_; }
  // Heap bytes the index holds (leaves, the leaf array and the bytes asked
  // for records), not counting the allocator's own per-block overhead.
  size_t memory_bytes() const;

 private:
  struct Leaf {
    uint32_t count = 0;
    IndexRecord* records[kLeafCapacity];
  };
  // Where key is or would be inserted. slot == count only in the last leaf
  // (or leaf == 0 of an empty index).
  struct Position {
    size_t leaf = 0;
    size_t slot = 0;
  };

  Position LowerBound(std::string_view key) const;
  bool Holds(Position p, std::string_view key) const;
  void InsertAt(Position p, IndexRecord* record);
  void RemoveAt(Position p);
  void MergeIfSparse(size_t leaf);

  std::vector<std::unique_ptr<Leaf>> leaves_;
  size_t size_ = 0;
  size_t record_bytes_ = 0;
};

}  // namespace cairn::storage
