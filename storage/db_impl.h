// DBImpl: the DB (db.h) over a LogWriter, Shards and Recovery.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/db.h"
#include "storage/log_format.h"
#include "storage/log_writer.h"
#include "storage/shard.h"

namespace cairn::storage {

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dir);
  ~DBImpl() override;

  // Takes the lock, recovers, opens the log. Called once, by DB::Open.
  Status Init();

  void Commit(std::span<const Mutation> mutations, std::vector<MutationResult>* results) override;
  std::chrono::steady_clock::time_point SyncIfDue() override;
  Status SyncLog() override;
  std::optional<ValueAndVersion> Get(std::string_view key) const override;
  ScanResult Scan(std::string_view start, std::string_view end, size_t limit,
                  size_t max_bytes) const override;
  DbStats Stats() const override;
  Status Snapshot(uint64_t* covered) override;
  bool read_only() const override { return log_->failed(); }

 private:
  // A key's state as the group being resolved sees it: the index plus the
  // effects of the group's earlier mutations.
  class GroupView;

  Shard& ShardFor(std::string_view key) const;
  // Resolves one mutation: on success appends its ops to *ops and returns
  // true; otherwise fills *result with why nothing is written.
  bool Resolve(const Mutation& m, GroupView* view, uint64_t version, std::vector<LogOp>* ops,
               MutationResult* result);
  // Removes snapshot files of other shard layouts (after a reshard).
  Status RemoveStaleSnapshots();

  const Options options_;
  const std::string dir_;
  std::unique_ptr<FileLock> lock_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<LogWriter> log_;

  // Written by the writer thread only; read by any.
  std::atomic<uint64_t> last_version_{0};  // the newest committed version
  std::atomic<uint64_t> log_bytes_since_snapshot_{0};

  std::mutex snapshot_mu_;  // one Snapshot at a time
  std::atomic<uint64_t> snapshot_version_{0};
};

}  // namespace cairn::storage
