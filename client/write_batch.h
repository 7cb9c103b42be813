// WriteBatch: puts and deletes that Client::Batch commits atomically under
// one version (docs/protocol.md, BATCH): after any crash either all of them are
// present or none. Operations apply in the order added, so a later put or
// delete of the same key wins. Deleting an absent key is not an error. An
// empty batch is refused with kBadRequest, as the server would, without
// being sent.
//
// Usage:
//   cairn::WriteBatch batch;
//   batch.Put("user:1", "ada").Put("user:2", "bob").Del("user:3");
//   cairn::Result<uint64_t> version = client.Batch(batch);
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "protocol/request.h"

namespace cairn {

class WriteBatch {
 public:
  WriteBatch& Put(std::string_view key, std::string_view value);
  WriteBatch& Del(std::string_view key);
  void Clear() { ops_.clear(); }

  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  const std::vector<protocol::BatchOp>& ops() const { return ops_; }

 private:
  std::vector<protocol::BatchOp> ops_;
};

}  // namespace cairn
