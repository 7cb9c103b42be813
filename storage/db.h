// DB: a data directory holding a segmented write-ahead log and per-shard
// snapshots, recovered on Open into an in-memory, sharded, ordered index.
//
// Threading contract:
// - Commit and SyncIfDue are called by ONE writer thread at a time (the
//   server's writer). This is the group-commit boundary: the caller gathers
//   whatever requests are pending into one Commit call; Commit resolves them
//   in order, appends all their records with one write, syncs once (as the
//   sync policy says) and only then applies them to the index. Requests that
//   arrive meanwhile form the next group.
// - Get, Scan, Stats may be called from any thread, concurrently with Commit.
//   They observe every committed group whose Commit has returned.
// - Snapshot may run on any thread concurrently with Commit. A write waits
//   for it only while it copies the shard the write touches, and while it
//   syncs the log once per shard (which the writer shares: when every
//   commit syncs, the next group's sync then has less to do).
// - Every mutation's keys and values, encoded, stay under 1 GiB (the log's
//   record limit); the server's frame limit guarantees it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/env.h"
#include "storage/histogram.h"
#include "storage/mutation.h"
#include "storage/status.h"

namespace cairn::storage {

enum class RecoveryMode {
  // Cut a torn tail of the newest log segment; refuse any other damage.
  kStrict,
  // Keep the consistent prefix of the log: damaged segments (and every later
  // one) are moved into lost+found/ and replaced by their valid prefix.
  kPointInTime,
};

// When the log is synced. Under every policy a crash (or power cut) leaves
// a prefix of the commit order and never lets a version be handed out twice;
// the policy says how much of the tail a power cut can take (storage.md §9).
enum class SyncPolicy {
  kEveryCommit,  // Commit returns once its group is on disk: nothing is lost
  kPeriodic,     // SyncIfDue syncs once the oldest unsynced group is sync_period old
  kNone,         // only for rotations, snapshots, version reservations and close
};

struct Options {
  Env* env = Env::Default();
  SyncPolicy sync_policy = SyncPolicy::kEveryCommit;
  std::chrono::milliseconds sync_period{1000};
  uint32_t shards = 8;
  uint64_t segment_bytes = 64ull << 20;  // a new log segment past this size
  RecoveryMode recovery = RecoveryMode::kStrict;
  uint32_t recovery_threads = 0;  // snapshot loading; 0 = hardware concurrency
};

struct ValueAndVersion {
  std::string value;
  uint64_t version = 0;
};

struct ScanResult {
  std::vector<std::pair<std::string, std::string>> entries;
  bool more = false;  // keys remain in the range past the last returned one
};

struct DbStats {
  uint64_t keys = 0;
  uint64_t last_version = 0;
  uint64_t snapshot_version = 0;  // lowest version every shard's snapshot covers
  uint32_t shards = 0;
  uint64_t log_segments = 0;
  uint64_t log_bytes = 0;  // bytes in all live segments
  uint64_t log_bytes_since_snapshot = 0;
  uint64_t log_syncs = 0;
  Histogram::Snapshot log_sync_seconds;  // each fdatasync of the log
  uint64_t key_bytes = 0;
  uint64_t value_bytes = 0;
  uint64_t index_bytes = 0;  // heap the index holds (keys and values included)
  bool read_only = false;
};

class DB {
 public:
  // Opens (creating if needed) the data directory dir, takes its lock and
  // recovers its contents. A second Open of the same directory, from any
  // process, fails with kBusy.
  static Status Open(const Options& options, const std::string& dir, std::unique_ptr<DB>* db);

  // Verifies dir without changing anything; *report says what was found.
  // OK when the directory would open in strict mode; NotFound when dir is
  // missing or holds no log segment and no snapshot (it never was a data
  // directory); Corruption for damage.
  static Status Check(const Options& options, const std::string& dir, std::string* report);

  virtual ~DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;

  // Resolves, logs, syncs as Options::sync_policy says, and applies a group
  // of mutations; results[i] answers mutations[i]. A group whose write or
  // sync fails is applied to nothing, takes no version and never reappears
  // after a crash: every result is kIoError. After a failed sync, wherever it
  // happened, every later Commit answers kReadOnly.
  // REQUIRES: single writer thread; results->size() becomes mutations.size().
  virtual void Commit(std::span<const Mutation> mutations,
                      std::vector<MutationResult>* results) = 0;
  // SyncPolicy::kPeriodic: syncs when due. Returns when to call it next
  // (time_point::max() when nothing waits for a sync).
  // REQUIRES: single writer thread.
  virtual std::chrono::steady_clock::time_point SyncIfDue() = 0;
  // Makes everything committed so far durable.
  virtual Status SyncLog() = 0;

  virtual std::optional<ValueAndVersion> Get(std::string_view key) const = 0;
  // Keys in [start, end) in unsigned bytewise order; empty end = no bound.
  // Stops at limit entries or once max_bytes of keys and values are gathered
  // (at least one entry is returned when one exists).
  virtual ScanResult Scan(std::string_view start, std::string_view end, size_t limit,
                          size_t max_bytes) const = 0;
  virtual DbStats Stats() const = 0;

  // Writes a snapshot of every shard and prunes log segments they make
  // redundant. *covered is the lowest version all new snapshots cover.
  // Serialized with other Snapshot calls.
  virtual Status Snapshot(uint64_t* covered) = 0;

  // True once a sync failure has made the store refuse writes.
  virtual bool read_only() const = 0;

 protected:
  DB() = default;
};

}  // namespace cairn::storage
