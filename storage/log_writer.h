// LogWriter: owns the log's segment files (format in log_format.h). Appends
// groups of records to the active segment with one write each, syncs,
// rotates to a new segment past a size limit, and removes closed segments
// once snapshots cover them.
//
// Appends land on zeros written ahead of them, in extensions that double
// from 64 KiB to 256 KiB: a sync of a write that grows the file must also
// write the file's new size (on ext4 a second disk write per sync), a sync
// of a write inside it need not. A segment can so end in zeros, which
// readers take for its end (log_format.h). Thread-safe: the writer thread appends and
// rotates while a snapshot thread may sync and prune.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/env.h"
#include "storage/status.h"

namespace cairn::storage {

struct SegmentInfo {
  uint64_t number = 0;
  uint64_t last_version = 0;  // of its last record; 0 if it holds none needed
  uint64_t bytes = 0;
};

class LogWriter {
 public:
  // Takes over active, opened for appending; closed lists the older segments
  // still on disk, oldest first; last_version is the newest version logged.
  LogWriter(Env* env, std::string dir, uint64_t segment_bytes, std::vector<SegmentInfo> closed,
            uint64_t active_number, std::unique_ptr<WritableFile> active, uint64_t last_version);
  ~LogWriter();

  // Creates segment file number in dir with its header, durable (file and
  // directory synced).
  static Status CreateSegment(Env* env, const std::string& dir, uint64_t number,
                              std::unique_ptr<WritableFile>* file);

  // Appends records, whose last version is last_version, in one write. On
  // failure the segment is cut back to where it was; if even that fails the
  // status is kReadOnly: the file holds bytes that must not be trusted.
  Status Append(std::string_view records, uint64_t last_version);
  // fdatasync of the active segment.
  Status Sync();
  // Cuts the active segment back to size and syncs (after a failed sync, so
  // that the failed records do not come back after a power cut), best effort.
  void TruncateActive(uint64_t size);
  // When the active segment has passed the size limit: syncs it (a failure
  // is returned, and means the log cannot be trusted) and starts the next
  // one (a failure to create it is logged, and the active segment goes on).
  Status MaybeRotate();
  // Removes closed segments whose records all have versions <= covered.
  Status PruneCovered(uint64_t covered);

  uint64_t active_size() const;
  uint64_t segment_count() const;
  uint64_t total_bytes() const;

 private:
  // fdatasync of the active segment unless nothing was appended since the
  // last successful one. REQUIRES: mu_ held.
  Status SyncLocked();
  // Makes the active segment's zeros reach at least end, best effort: when
  // writing them fails, appends go on growing the file. REQUIRES: mu_ held.
  void ZeroAhead(uint64_t end);
  // After the active segment was cut back to size. REQUIRES: mu_ held.
  void CutBack(uint64_t size);

  Env* const env_;
  const std::string dir_;
  const uint64_t segment_bytes_;
  mutable std::mutex mu_;
  std::vector<SegmentInfo> closed_;
  uint64_t active_number_;
  uint64_t last_version_;
  // Bytes of the active segment known durable. Starts at 0: what recovery
  // found may still sit unsynced in the page cache (fsync=never, then kill).
  uint64_t synced_size_ = 0;
  std::unique_ptr<WritableFile> active_;
  // The active segment holds zeros up to here; false once writing them
  // failed (a full disk, say), until the next segment.
  uint64_t zeroed_end_;
  bool zero_ahead_ = true;
};

}  // namespace cairn::storage
