#include "storage/index_record.h"

#include <cassert>
#include <cstring>
#include <new>

namespace cairn::storage {

size_t IndexRecord::AllocationSize(size_t key_size, size_t value_size) {
  return sizeof(IndexRecord) + key_size + value_size;
}

IndexRecord* IndexRecord::New(std::string_view key, std::string_view value, uint64_t version) {
  void* block = ::operator new(AllocationSize(key.size(), value.size()));
  auto* record = new (block)
      IndexRecord(static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size()), version);
  if (!key.empty()) std::memcpy(record->bytes(), key.data(), key.size());
  if (!value.empty()) std::memcpy(record->bytes() + key.size(), value.data(), value.size());
  return record;
}

void IndexRecord::Free(IndexRecord* record) {
  record->~IndexRecord();
  ::operator delete(record);
}

void IndexRecord::Overwrite(std::string_view value, uint64_t version) {
  assert(value.size() == value_size_);
  if (!value.empty()) std::memcpy(bytes() + key_size_, value.data(), value.size());
  version_ = version;
}

}  // namespace cairn::storage
