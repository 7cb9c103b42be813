// IndexRecord: one key of the in-memory index, its value and the version
// that wrote it, in one heap block: [version u64][key size u32]
// [value size u32][key bytes][value bytes] (a 16-byte header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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

}  // namespace cairn::storage
