#include "storage/record_table.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "storage/coding.h"
#include "storage/tagged_record.h"

namespace cairn::storage {

namespace {

constexpr uint64_t kEmpty = 0;
constexpr uint64_t kTombstone = 1;
constexpr size_t kMinCapacity = 16;

// Bits 16..31 of the hash: neither the home slot's (the top bits, for any
// capacity up to 2^32) nor the shard's (ShardOf takes the hash modulo the
// shard count, mostly its low bits).
uint16_t TagOf(uint64_t hash) { return static_cast<uint16_t>(hash >> 16); }

uint64_t Pack(IndexRecord* record, uint16_t tag) {
  assert(reinterpret_cast<uintptr_t>(record) > kTombstone);
  return TagRecord(record, tag);
}

}  // namespace

IndexRecord* RecordTable::Find(std::string_view key) const {
  if (size_ == 0) return nullptr;
  const uint64_t hash = KeyHash(key);
  const uint16_t tag = TagOf(hash);
  const size_t mask = capacity_ - 1;
  for (size_t i = hash >> shift_;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == kEmpty) return nullptr;
    if (slot != kTombstone && RecordTag(slot) == tag && TaggedRecordPointer(slot)->key() == key) {
      return TaggedRecordPointer(slot);
    }
  }
}

void RecordTable::Insert(IndexRecord* record) {
  assert(Find(record->key()) == nullptr);
  if ((size_ + tombstones_ + 1) * 8 > capacity_ * 7) {
    size_t capacity = std::max(capacity_, kMinCapacity);
    if ((size_ + 1) * 2 > capacity) capacity *= 2;
    Rebuild(capacity);
  }
  const uint64_t hash = KeyHash(record->key());
  const size_t mask = capacity_ - 1;
  size_t i = hash >> shift_;
  while (slots_[i] != kEmpty && slots_[i] != kTombstone) i = (i + 1) & mask;
  if (slots_[i] == kTombstone) --tombstones_;
  slots_[i] = Pack(record, TagOf(hash));
  ++size_;
}

size_t RecordTable::SlotOf(const IndexRecord* record) const {
  const size_t mask = capacity_ - 1;
  for (size_t i = KeyHash(record->key()) >> shift_;; i = (i + 1) & mask) {
    assert(slots_[i] != kEmpty);
    if (slots_[i] != kTombstone && TaggedRecordPointer(slots_[i]) == record) return i;
  }
}

void RecordTable::Replace(const IndexRecord* record, IndexRecord* replacement) {
  assert(record->key() == replacement->key());
  const size_t i = SlotOf(record);
  // Same key, same hash: the slot keeps its tag.
  slots_[i] = Pack(replacement, RecordTag(slots_[i]));
}

void RecordTable::Erase(const IndexRecord* record) {
  slots_[SlotOf(record)] = kTombstone;
  --size_;
  ++tombstones_;
}

void RecordTable::Reserve(size_t n) {
  size_t capacity = std::max(capacity_, kMinCapacity);
  while (n * 8 > capacity * 7) capacity *= 2;
  if (capacity != capacity_) Rebuild(capacity);
}

void RecordTable::Rebuild(size_t capacity) {
  assert(capacity >= kMinCapacity && (capacity & (capacity - 1)) == 0);
  std::unique_ptr<uint64_t[]> old = std::move(slots_);
  const size_t old_capacity = capacity_;
  slots_ = std::make_unique<uint64_t[]>(capacity);  // zeroed: every slot empty
  capacity_ = capacity;
  shift_ = 64 - __builtin_ctzll(capacity);
  size_ = 0;
  tombstones_ = 0;
  for (size_t i = 0; i < old_capacity; ++i) {
    if (old[i] != kEmpty && old[i] != kTombstone) Insert(TaggedRecordPointer(old[i]));
  }
}

}  // namespace cairn::storage
