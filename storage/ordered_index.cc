#include "storage/ordered_index.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

namespace cairn::storage {

OrderedIndex::~OrderedIndex() {
  for (const auto& leaf : leaves_) {
    for (uint32_t i = 0; i < leaf->count; ++i) IndexRecord::Free(leaf->records[i]);
  }
}

OrderedIndex::Position OrderedIndex::LowerBound(std::string_view key) const {
  if (leaves_.empty()) return {};
  // The last leaf whose first key is <= key holds key's lower bound, unless
  // key is past that leaf's last key (then it is the next leaf's first).
  auto after = std::upper_bound(leaves_.begin(), leaves_.end(), key,
                                [](std::string_view k, const std::unique_ptr<Leaf>& leaf) {
                                  return k < leaf->records[0]->key();
                                });
  const size_t leaf =
      after == leaves_.begin() ? 0 : static_cast<size_t>(after - leaves_.begin()) - 1;
  const Leaf& l = *leaves_[leaf];
  const auto slot =
      std::lower_bound(l.records, l.records + l.count, key,
                       [](const IndexRecord* r, std::string_view k) { return r->key() < k; }) -
      l.records;
  if (static_cast<uint32_t>(slot) == l.count && leaf + 1 < leaves_.size()) return {leaf + 1, 0};
  return {leaf, static_cast<size_t>(slot)};
}

bool OrderedIndex::Holds(Position p, std::string_view key) const {
  return p.leaf < leaves_.size() && p.slot < leaves_[p.leaf]->count &&
         leaves_[p.leaf]->records[p.slot]->key() == key;
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
  leaves_[p.leaf]->records[p.slot] = replacement;
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
    std::copy(leaf->records + keep, leaf->records + leaf->count, next->records);
    leaf->count = keep;
    leaves_.insert(leaves_.begin() + static_cast<ptrdiff_t>(p.leaf) + 1, std::move(next));
    if (p.slot >= keep) {
      ++p.leaf;
      p.slot -= keep;
      leaf = leaves_[p.leaf].get();
    }
  }
  std::copy_backward(leaf->records + p.slot, leaf->records + leaf->count,
                     leaf->records + leaf->count + 1);
  leaf->records[p.slot] = record;
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
  std::copy(from.records, from.records + from.count, into.records + into.count);
  into.count += from.count;
  leaves_.erase(leaves_.begin() + static_cast<ptrdiff_t>(left) + 1);
}

size_t OrderedIndex::memory_bytes() const {
  return leaves_.size() * sizeof(Leaf) + leaves_.capacity() * sizeof(leaves_[0]) +
         table_.memory_bytes() + record_bytes_;
}

}  // namespace cairn::storage
