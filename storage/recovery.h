// Recovery: rebuilds the in-memory shards of a data directory from its newest
// complete snapshot set and the log after it.
//
// Rules (docs/storage.md states them for users):
// - Snapshots: the complete set (every shard of one layout) for the current
//   shard count is preferred, else another complete set (the shard count
//   changed: keys are re-routed by ShardOf). A damaged snapshot stops startup.
// - Log: a record is applied to a key only if its version is above what the
//   snapshot of that key's source shard covers. The records needed (above the
//   lowest snapshot cover) must have consecutive versions.
// - Damage in the newest segment that no later group record claims durable
//   (in a format 1 segment: with no valid record behind it) is a crash
//   artifact: it is cut off there, with a log line. Any other damage stops
//   startup naming file and offset (kStrict), or, in kPointInTime, the damaged
//   and all later segments are moved into lost+found/ and the valid prefix is
//   kept. Log and snapshot files are never deleted; torn tails are cut;
//   *.tmp files (unfinished snapshots and segment prefixes) are removed.
// - Check mode changes nothing and describes what it finds in *report.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/db.h"
#include "storage/log_writer.h"
#include "storage/shard.h"

namespace cairn::storage {

struct RecoveredState {
  uint64_t last_version = 0;      // the newest version anywhere: log or snapshots
  uint64_t log_last_version = 0;  // of the last log record kept
  uint64_t snapshot_version = 0;  // lowest cover of the loaded snapshot set
  uint32_t snapshot_layout = 0;   // shard count of the loaded set; 0 if none
  // The ceiling of the log's last group record: versions up to it may have
  // been handed out.
  uint64_t ceiling = 0;
  std::vector<SegmentInfo> closed_segments;
  bool has_active_segment = false;  // the newest segment is intact and open-able
  uint64_t active_segment = 0;      // its number (or the number to create)
  uint32_t active_format = 0;       // the log format of that segment
  uint64_t active_bytes = 0;        // its valid bytes
};

// REQUIRES: shards->size() == options.shards, all empty.
Status Recover(const Options& options, const std::string& dir, bool check_only,
               std::vector<std::unique_ptr<Shard>>* shards, RecoveredState* state,
               std::string* report);

}  // namespace cairn::storage
