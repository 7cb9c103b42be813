#include "storage/ordered_index.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

namespace cairn::storage {

namespace {

// The two bytes of key after its first prefix bytes (0 past its end),
// big-endian. Of two keys that share prefix bytes, the one with the smaller
// tag is the smaller key; equal tags decide nothing.
uint16_t KeyTag(std::string_view key, uint32_t prefix) {
  const auto byte = [key](size_t i) -> unsigned {
    return i < key.size() ? static_cast<unsigned char>(key[i]) : 0;
  };
  return static_cast<uint16_t>(byte(prefix) << 8 | byte(prefix + 1));
}

uint32_t SharedPrefix(std::string_view a, std::string_view b) {
  return static_cast<uint32_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first -
                               a.begin());
}

}  // namespace

OrderedIndex::~OrderedIndex() {
  for (const auto& leaf : leaves_) {
    for (uint32_t i = 0; i < leaf->count; ++i) {
      IndexRecord::Free(TaggedRecordPointer(leaf->records[i]));
    }
  }
}

void OrderedIndex::Retag(Leaf* leaf, uint32_t prefix) {
  leaf->prefix = prefix;
  for (uint32_t i = 0; i < leaf->count; ++i) {
    IndexRecord* record = TaggedRecordPointer(leaf->records[i]);
    leaf->records[i] = TagRecord(record, KeyTag(record->key(), prefix));
  }
}

size_t OrderedIndex::SlotIn(const Leaf& leaf, std::string_view key) {
  assert(leaf.count > 0);
  const std::string_view first = TaggedRecordPointer(leaf.records[0])->key();
  if (key.substr(0, leaf.prefix) != first.substr(0, leaf.prefix)) {
    return key < first ? 0 : leaf.count;  // outside the leaf's range
  }
  const uint16_t tag = KeyTag(key, leaf.prefix);
  const uint64_t* begin = leaf.records;
  const uint64_t* end = leaf.records + leaf.count;
  const uint64_t* ties =
      std::partition_point(begin, end, [tag](uint64_t r) { return RecordTag(r) < tag; });
  const uint64_t* past_ties =
      std::partition_point(ties, end, [tag](uint64_t r) { return RecordTag(r) == tag; });
  return static_cast<size_t>(
      std::partition_point(ties, past_ties,
                           [key](uint64_t r) { return TaggedRecordPointer(r)->key() < key; }) -
      begin);
}

const IndexRecord* OrderedIndex::RecordAt(size_t leaf, size_t slot) const {
  return TaggedRecordPointer(leaves_[leaf]->records[slot]);
}

OrderedIndex::Position OrderedIndex::LowerBound(std::string_view key) const {
  if (leaves_.empty()) return {};
  // The last leaf whose first key is <= key holds key's lower bound, unless
  // key is past that leaf's last key (then it is the next leaf's first).
  auto after = std::upper_bound(leaves_.begin(), leaves_.end(), key,
                                [](std::string_view k, const std::unique_ptr<Leaf>& leaf) {
                                  return k < TaggedRecordPointer(leaf->records[0])->key();
                                });
  const size_t leaf =
      after == leaves_.begin() ? 0 : static_cast<size_t>(after - leaves_.begin()) - 1;
  const size_t slot = SlotIn(*leaves_[leaf], key);
  if (slot == leaves_[leaf]->count && leaf + 1 < leaves_.size()) return {leaf + 1, 0};
  return {leaf, slot};
}

bool OrderedIndex::Holds(Position p, std::string_view key) const {
  return p.leaf < leaves_.size() && p.slot < leaves_[p.leaf]->count &&
         RecordAt(p.leaf, p.slot)->key() == key;
}

const IndexRecord* OrderedIndex::Find(std::string_view key) const { return table_.Find(key); }

int64_t OrderedIndex::Put(std::string_view key, std::string_view value, uint64_t version) {
  IndexRecord* found = table_.Find(key);
  if (found == nullptr) {
    IndexRecord* record = IndexRecord::New(key, value, version);
    InsertAt(LowerBound(key), record);
    table_.Insert(record);
    record_bytes_ += IndexRecord::AllocationSize(key.size(), value.size());
    ++size_;
    return -1;
  }
  const size_t old_size = found->value().size();
  if (old_size == value.size()) {
    found->Overwrite(value, version);
    return static_cast<int64_t>(old_size);
  }
  const Position p = LowerBound(key);
  assert(Holds(p, key));
  IndexRecord* replacement = IndexRecord::New(key, value, version);
  uint64_t& slot = leaves_[p.leaf]->records[p.slot];
  slot = TagRecord(replacement, RecordTag(slot));  // same key, same tag
  table_.Replace(found, replacement);
  IndexRecord::Free(found);
  record_bytes_ = record_bytes_ - old_size + value.size();
  return static_cast<int64_t>(old_size);
}

int64_t OrderedIndex::Erase(std::string_view key) {
  IndexRecord* record = table_.Find(key);
  if (record == nullptr) return -1;
  const Position p = LowerBound(key);
  assert(Holds(p, key));
  const size_t value_size = record->value().size();
  record_bytes_ -= IndexRecord::AllocationSize(record->key().size(), value_size);
  --size_;
  RemoveAt(p);
  table_.Erase(record);
  IndexRecord::Free(record);
  return static_cast<int64_t>(value_size);
}

void OrderedIndex::InsertAt(Position p, IndexRecord* record) {
  if (leaves_.empty()) leaves_.push_back(std::make_unique<Leaf>());
  Leaf* leaf = leaves_[p.leaf].get();
  if (leaf->count == kLeafCapacity) {
    auto next = std::make_unique<Leaf>();
    // Appending past the end: keep this leaf full and start a new one, so an
    // ordered load packs its leaves.
    const bool append = p.leaf + 1 == leaves_.size() && p.slot == kLeafCapacity;
    const uint32_t keep = append ? kLeafCapacity : kLeafCapacity / 2;
    next->count = leaf->count - keep;
    next->prefix = leaf->prefix;  // still shared, so the tags hold
    std::copy(leaf->records + keep, leaf->records + leaf->count, next->records);
    leaf->count = keep;
    leaves_.insert(leaves_.begin() + static_cast<ptrdiff_t>(p.leaf) + 1, std::move(next));
    if (p.slot >= keep) {
      ++p.leaf;
      p.slot -= keep;
      leaf = leaves_[p.leaf].get();
    }
  }
  // A key inserted between two keys shares their prefix; at either end it
  // may share less of it.
  const std::string_view key = record->key();
  if (leaf->count == 0) {
    leaf->prefix = static_cast<uint32_t>(key.size());
  } else if (p.slot == 0 || p.slot == leaf->count) {
    const size_t neighbour = p.slot == 0 ? 0 : leaf->count - 1;
    const uint32_t shared = SharedPrefix(key, TaggedRecordPointer(leaf->records[neighbour])->key());
    if (shared < leaf->prefix) Retag(leaf, shared);
  }
  std::copy_backward(leaf->records + p.slot, leaf->records + leaf->count,
                     leaf->records + leaf->count + 1);
  leaf->records[p.slot] = TagRecord(record, KeyTag(key, leaf->prefix));
  ++leaf->count;
}

void OrderedIndex::RemoveAt(Position p) {
  Leaf* leaf = leaves_[p.leaf].get();
  std::copy(leaf->records + p.slot + 1, leaf->records + leaf->count, leaf->records + p.slot);
  --leaf->count;
  if (leaf->count == 0) {
    leaves_.erase(leaves_.begin() + static_cast<ptrdiff_t>(p.leaf));
    return;
  }
  MergeIfSparse(p.leaf);
}

void OrderedIndex::MergeIfSparse(size_t index) {
  if (leaves_[index]->count >= kLeafCapacity / 4) return;
  auto fits = [&](size_t left) {
    return leaves_[left]->count + leaves_[left + 1]->count <= kLeafCapacity / 2;
  };
  size_t left;
  if (index + 1 < leaves_.size() && fits(index)) {
    left = index;
  } else if (index > 0 && fits(index - 1)) {
    left = index - 1;
  } else {
    return;
  }
  Leaf& into = *leaves_[left];
  const Leaf& from = *leaves_[left + 1];
  const uint32_t prefix =
      std::min({into.prefix, from.prefix,
                SharedPrefix(TaggedRecordPointer(into.records[0])->key(),
                             TaggedRecordPointer(from.records[from.count - 1])->key())});
  std::copy(from.records, from.records + from.count, into.records + into.count);
  into.count += from.count;
  if (into.prefix != prefix || from.prefix != prefix) Retag(&into, prefix);
  leaves_.erase(leaves_.begin() + static_cast<ptrdiff_t>(left) + 1);
}

size_t OrderedIndex::memory_bytes() const {
  return leaves_.size() * sizeof(Leaf) + leaves_.capacity() * sizeof(leaves_[0]) +
         table_.memory_bytes() + record_bytes_;
}

}  // namespace cairn::storage
