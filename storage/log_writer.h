// LogWriter: the one place that decides when the log reaches the disk, and
// that remembers when it could not. Owns the log's segment files (format in
// log_format.h).
//
// - Commit appends one group of records with one write, opened by a group
//   record, and syncs it when the policy says so (SyncPolicy::kEveryCommit),
//   or, under the other policies, when its versions pass the version
//   ceiling: the ceiling is synced before a version above it is handed out,
//   so the next run starts above every version this one may have handed
//   out. (When every commit syncs, the log itself holds every version
//   handed out, and the ceiling claims no more.)
// - A failed sync is sticky. Linux reports a writeback error once, to
//   whichever caller syncs first, and forgets the pages it could not write;
//   so from the first failure on, every Commit and Sync fails with kReadOnly
//   naming it, whichever thread saw it.
// - A group whose write or sync failed is cut from the segment and the cut
//   is synced, so that it does not come back after a crash.
// - Appends land on zeros written ahead of them, in extensions that double
//   from 64 KiB to 256 KiB: a sync of a write that grows the file must also
//   write the file's new size (on ext4 a second disk write per sync), a sync
//   of a write inside it need not. A segment can so end in zeros, which
//   readers take for its end (log_format.h).
//
// Thread-safe: the writer thread commits while a snapshot thread syncs,
// rotates and prunes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/db.h"
#include "storage/env.h"
#include "storage/histogram.h"
#include "storage/log_format.h"
#include "storage/status.h"

namespace cairn::storage {

struct SegmentInfo {
  uint64_t number = 0;
  uint64_t last_version = 0;  // of its last record; 0 if it holds none needed
  uint64_t bytes = 0;
};

class LogWriter {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes over active, opened for appending; closed lists the older segments
  // still on disk, oldest first; last_version is the version of the log's
  // last record (a group record's base counts).
  LogWriter(const Options& options, std::string dir, std::vector<SegmentInfo> closed,
            uint64_t active_number, std::unique_ptr<WritableFile> active, uint64_t last_version);
  // A clean close: syncs, and leaves a group record whose ceiling is the last
  // version, so that the next run skips none.
  ~LogWriter();

  // Creates segment file number in dir holding its header and then
  // first_records, durable (file and directory synced). *failed_sync, if
  // given, tells whether the failure was the file's sync.
  static Status CreateSegment(Env* env, const std::string& dir, uint64_t number,
                              std::string_view first_records, std::unique_ptr<WritableFile>* file,
                              bool* failed_sync = nullptr);

  // Begins a run: appends a group record whose base is base (versions up to
  // it may have been handed out before a crash) and which reserves the next
  // ceiling, and syncs the active segment, so that what recovery read from
  // it is on disk before anything is served. REQUIRES: called once, first.
  Status Start(uint64_t base);

  // Room Commit fills with the group record: a group's buffer starts with it.
  static void ReserveGroupRecord(std::string* buffer) { buffer->assign(kGroupRecordSize, '\0'); }
  // Appends *buffer (ReserveGroupRecord, then the group's records, whose
  // versions run up to last_version) in one write and syncs it if the
  // policy or the ceiling asks. On failure nothing of it stays in the log.
  // Rotates to a new segment past the size limit.
  Status Commit(std::string* buffer, uint64_t last_version);
  // SyncPolicy::kPeriodic: syncs when the oldest unsynced commit is a sync
  // period old. Returns when it should be called next (Clock::time_point::max()
  // when nothing waits).
  Clock::time_point SyncIfDue();
  // Makes everything committed so far durable.
  Status Sync();
  // Starts a new segment if the active one holds records, so that snapshots
  // can make all of it prunable.
  Status Rotate();
  // Removes closed segments whose records all have versions <= covered.
  Status PruneCovered(uint64_t covered);

  // The first sync failure; OK if none.
  Status failure() const;
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  uint64_t active_size() const;
  uint64_t segment_count() const;
  uint64_t total_bytes() const;
  uint64_t sync_count() const { return syncs_.load(std::memory_order_relaxed); }
  // How long each fdatasync of the log took, in seconds.
  Histogram::Snapshot sync_seconds() const { return sync_seconds_.Read(); }

 private:
  // Writes at dst the group record that follows the log's last record,
  // with base, ceiling and the bytes synced so far. REQUIRES: mu_ held.
  void EncodeGroup(char* dst, uint64_t base, uint64_t ceiling) const;
  // fdatasync of the active segment unless nothing changed since the last
  // successful one; a failure becomes sticky. REQUIRES: mu_ held.
  Status SyncLocked();
  // Cuts the active segment back to size (a failed group) and syncs the cut.
  // REQUIRES: mu_ held.
  Status CutBack(uint64_t size);
  // Makes the active segment's zeros reach at least end, best effort: when
  // writing them fails, appends go on growing the file. REQUIRES: mu_ held.
  void ZeroAhead(uint64_t end);
  // Syncs the active segment and starts the next one. A failure to create it
  // is logged, and the active segment goes on, unless it was a failed sync:
  // a device that failed one sync is trusted with no more. REQUIRES: mu_ held.
  Status RotateLocked();
  void Fail(const Status& cause);  // REQUIRES: mu_ held

  Env* const env_;
  const std::string dir_;
  const uint64_t segment_bytes_;
  const SyncPolicy policy_;
  const Clock::duration sync_period_;
  const uint64_t reservation_;  // versions one raise of the ceiling reserves

  mutable std::mutex mu_;
  std::vector<SegmentInfo> closed_;
  uint64_t active_number_;
  std::unique_ptr<WritableFile> active_;
  uint64_t last_version_;
  // No version above it is handed out before a synced group record raises it.
  uint64_t ceiling_ = 0;
  // Bytes of the active segment known durable, and whether anything changed
  // since the last successful sync (recovery may leave unsynced bytes).
  uint64_t synced_size_ = 0;
  bool dirty_ = true;
  Clock::time_point dirty_since_;
  // Bytes the active segment held when created: more means it holds records.
  uint64_t start_size_;
  // The active segment holds zeros up to here; false once writing them
  // failed (a full disk, say), until the next segment.
  uint64_t zeroed_end_;
  bool zero_ahead_ = true;
  Status failure_;
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> syncs_{0};
  Histogram sync_seconds_{Histogram::Exponential(50e-6, 2, 17)};  // 50 us to 3.3 s
};

}  // namespace cairn::storage
