#include "storage/shard.h"

#include <mutex>

namespace cairn::storage {

std::optional<IndexEntry> Shard::Get(std::string_view key) const {
  std::shared_lock lock(mu_);
  const IndexRecord* record = index_.Find(key);
  if (record == nullptr) return std::nullopt;
  return IndexEntry{std::string(record->value()), record->version()};
}

uint64_t Shard::VersionOf(std::string_view key) const {
  std::shared_lock lock(mu_);
  const IndexRecord* record = index_.Find(key);
  return record == nullptr ? 0 : record->version();
}

void Shard::Put(std::string_view key, std::string_view value, uint64_t version) {
  std::unique_lock lock(mu_);
  const int64_t replaced = index_.Put(key, value, version);
  if (replaced < 0) {
    key_bytes_ += key.size();
  } else {
    value_bytes_ -= static_cast<uint64_t>(replaced);
  }
  value_bytes_ += value.size();
}

void Shard::Delete(std::string_view key) {
  std::unique_lock lock(mu_);
  const int64_t erased = index_.Erase(key);
  if (erased < 0) return;
  key_bytes_ -= key.size();
  value_bytes_ -= static_cast<uint64_t>(erased);
}

void Shard::Scan(std::string_view start, std::string_view end, size_t limit,
                 std::vector<std::pair<std::string, IndexEntry>>* out) const {
  std::shared_lock lock(mu_);
  index_.VisitFrom(start, [&](const IndexRecord& r) {
    if (limit == 0 || (!end.empty() && r.key() >= end)) return false;
    out->emplace_back(std::string(r.key()), IndexEntry{std::string(r.value()), r.version()});
    --limit;
    return true;
  });
}

uint64_t Shard::size() const {
  std::shared_lock lock(mu_);
  return index_.size();
}

uint64_t Shard::key_bytes() const {
  std::shared_lock lock(mu_);
  return key_bytes_;
}

uint64_t Shard::value_bytes() const {
  std::shared_lock lock(mu_);
  return value_bytes_;
}

void Shard::Reserve(size_t n) {
  std::unique_lock lock(mu_);
  index_.Reserve(n);
}

uint64_t Shard::memory_bytes() const {
  std::shared_lock lock(mu_);
  return index_.memory_bytes();
}

}  // namespace cairn::storage
