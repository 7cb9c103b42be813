#include "storage/shard.h"

#include <mutex>

namespace cairn::storage {

std::optional<IndexEntry> Shard::Get(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

uint64_t Shard::VersionOf(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = map_.find(key);
  return it == map_.end() ? 0 : it->second.version;
}

void Shard::Put(std::string_view key, std::string_view value, uint64_t version) {
  std::unique_lock lock(mu_);
  auto it = map_.lower_bound(key);
  if (it != map_.end() && it->first == key) {
    value_bytes_ -= it->second.value.size();
    it->second.value.assign(value);
    it->second.version = version;
  } else {
    map_.emplace_hint(it, std::string(key), IndexEntry{std::string(value), version});
    key_bytes_ += key.size();
  }
  value_bytes_ += value.size();
}

void Shard::Delete(std::string_view key) {
  std::unique_lock lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return;
  key_bytes_ -= it->first.size();
  value_bytes_ -= it->second.value.size();
  map_.erase(it);
}

void Shard::Scan(std::string_view start, std::string_view end, size_t limit,
                 std::vector<std::pair<std::string, IndexEntry>>* out) const {
  std::shared_lock lock(mu_);
  for (auto it = map_.lower_bound(start);
       it != map_.end() && limit > 0 && (end.empty() || std::string_view(it->first) < end);
       ++it, --limit) {
    out->emplace_back(it->first, it->second);
  }
}

uint64_t Shard::size() const {
  std::shared_lock lock(mu_);
  return map_.size();
}

uint64_t Shard::key_bytes() const {
  std::shared_lock lock(mu_);
  return key_bytes_;
}

uint64_t Shard::value_bytes() const {
  std::shared_lock lock(mu_);
  return value_bytes_;
}

}  // namespace cairn::storage
