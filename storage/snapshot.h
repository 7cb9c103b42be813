// Snapshot files: a full image of one shard at a version. All integers
// little-endian. Named snapshot-<shard count, 4+ digits>-<shard index>.snap;
// written as <name>.tmp, synced, renamed over <name>, and the directory
// synced, so a crash leaves either the old or the new image whole.
//
//   header (32 bytes)
//   0  magic        8  "CAIRNSNP"
//   8  format       4  u32, kSnapshotFormatVersion
//   12 shard count  4  u32, shards in the layout that wrote the file
//   16 shard index  4  u32
//   20 reserved     4  zero
//   24 covered      8  u64: the image holds every write up to this version
//                      (and possibly some later ones: replay is idempotent)
//   entries, in unsigned bytewise key order
//      key length u32, value length u32, version u64, key, value
//   footer (24 bytes)
//   0  magic        8  "CAIRNEND"
//   8  entry count  8  u64
//   16 checksum     8  XXH3-64 of every byte of the file before this field
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/env.h"
#include "storage/status.h"

namespace cairn::storage {

inline constexpr std::string_view kSnapshotMagic = "CAIRNSNP";
inline constexpr std::string_view kSnapshotFooterMagic = "CAIRNEND";
inline constexpr uint32_t kSnapshotFormatVersion = 1;
inline constexpr size_t kSnapshotHeaderSize = 32;
inline constexpr size_t kSnapshotFooterSize = 24;

struct SnapshotEntry {
  std::string key;
  std::string value;
  uint64_t version = 0;
};

struct SnapshotInfo {
  uint32_t shard_count = 0;
  uint32_t shard_index = 0;
  uint64_t covered_version = 0;
  // The footer's count, set by ReadSnapshot before its first visit
  // (WriteSnapshot writes the number of entries it is given).
  uint64_t entry_count = 0;
};

std::string SnapshotFileName(uint32_t shard_count, uint32_t shard_index);
bool ParseSnapshotFileName(std::string_view name, uint32_t* shard_count, uint32_t* shard_index);
inline constexpr std::string_view kTempSuffix = ".tmp";

// Writes entries (REQUIRES: sorted by key, unique) as the snapshot of info's
// shard in dir: tmp file, sync, rename, directory sync.
Status WriteSnapshot(Env* env, const std::string& dir, const SnapshotInfo& info,
                     const std::vector<SnapshotEntry>& entries);

// Parses a whole snapshot file. Errors name the byte offset of the damage.
// visit is called for each entry in order, after the checksum is verified.
template <typename Visit>
Status ReadSnapshot(std::string_view contents, SnapshotInfo* info, Visit&& visit);

// Implementation detail of ReadSnapshot: checks header, footer and checksum;
// on success *body views the entries.
Status VerifySnapshot(std::string_view contents, SnapshotInfo* info, std::string_view* body);
Status SnapshotEntryAt(std::string_view* body, uint64_t offset, std::string_view* key,
                       std::string_view* value, uint64_t* version);

template <typename Visit>
Status ReadSnapshot(std::string_view contents, SnapshotInfo* info, Visit&& visit) {
  std::string_view body;
  Status s = VerifySnapshot(contents, info, &body);
  if (!s.ok()) return s;
  for (uint64_t i = 0; i < info->entry_count; ++i) {
    std::string_view key, value;
    uint64_t version = 0;
    const uint64_t offset = static_cast<uint64_t>(body.data() - contents.data());
    s = SnapshotEntryAt(&body, offset, &key, &value, &version);
    if (!s.ok()) return s;
    visit(key, value, version);
  }
  if (!body.empty()) {
    return Status::Corruption("snapshot has " + std::to_string(body.size()) +
                              " bytes after its last entry");
  }
  return Status::OK();
}

}  // namespace cairn::storage
