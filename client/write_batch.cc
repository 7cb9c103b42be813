#include "client/write_batch.h"

#include <string>

namespace cairn {

WriteBatch& WriteBatch::Put(std::string_view key, std::string_view value) {
  ops_.push_back({.is_delete = false, .key = std::string(key), .value = std::string(value)});
  return *this;
}

WriteBatch& WriteBatch::Del(std::string_view key) {
  ops_.push_back({.is_delete = true, .key = std::string(key), .value = {}});
  return *this;
}

}  // namespace cairn
