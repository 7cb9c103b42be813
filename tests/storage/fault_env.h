// FaultInjectionEnv: an Env over real files (normally under a test's temporary
// directory) that tracks what the durability model of env.h says would
// survive a power cut, and injects the failures storage code must handle:
// failed or torn writes, failed syncs, a full disk, and a machine that stops
// mid-operation.
//
// Durability model, applied by DropUnsyncedData (a simulated power cut):
// - File data: each file remembers its size at its last successful Sync.
//   Bytes past it are lost (a file never synced keeps nothing); zeros
//   written ahead (ZeroExtend) count as bytes of the file, like appends. A failed Sync
//   changes nothing: the bytes stay readable until the power cut, then go.
// - Directory entries: every creation, rename and removal of a file stays
//   pending until a successful SyncDir of the directory holding that entry;
//   a power cut undoes the pending ones. A rename touches two entries (src
//   and dst), each made durable by a sync of its own directory. The power cut
//   puts back, at each pending entry, the file that was durably there: none
//   (a new file vanishes), or the durable contents of the file that was
//   removed or renamed away or over (saved at that moment).
// - A file's synced-data state belongs to the file, not the name: it moves
//   with a rename.
// - Truncation (WritableFile::Truncate, NewWritableFile over an existing
//   file, TruncateFile) counts as durable at once: a power cut never brings
//   truncated bytes back.
// - A file that existed before it was first touched through this env counts
//   as fully durable. Directories (CreateDir) are durable at once; only
//   regular files are tracked.
// - After a power cut every file on disk is fully durable again, and every
//   WritableFile this env handed out before it fails with kIoError (the
//   process that held it is gone); Close still releases it.
//
// Limitations (deliberate, to stay simple):
// - Data synced through a WritableFile after its file was removed or renamed
//   over is not part of what a power cut restores.
// - Paths are compared after lexical normalization ("a//b/./c" is "a/b/c"),
//   not resolved: do not mix relative and absolute spellings of one file.
//
// Mutating operations (counted, and refused once SetCrashAfterOps freezes the
// machine): NewWritableFile, Append, ZeroExtend, Sync, Truncate, RemoveFile,
// RenameFile, CreateDir, SyncDir, TruncateFile. Reads, NewAppendableFile, Close and
// LockFile are not; LockFile and reads go straight to the base env.
//
// Thread-safe: one mutex guards the model and is held across each call into
// the base env, so the model never disagrees with the disk.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/env.h"
#include "storage/status.h"

namespace cairn::storage {

class FaultInjectionEnv final : public Env {
 public:
  // REQUIRES: base outlives this env, and this env outlives every file it
  // opens.
  explicit FaultInjectionEnv(Env* base);
  ~FaultInjectionEnv() override;
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  Status NewWritableFile(const std::string& fname, std::unique_ptr<WritableFile>* result) override;
  Status NewAppendableFile(const std::string& fname,
                           std::unique_ptr<WritableFile>* result) override;
  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override;
  bool FileExists(const std::string& fname) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* result) override;
  Status GetFileSize(const std::string& fname, uint64_t* size) override;
  Status RemoveFile(const std::string& fname) override;
  Status RenameFile(const std::string& src, const std::string& dst) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status TruncateFile(const std::string& fname, uint64_t size) override;
  Status LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) override;

  // Simulates a power cut and the reboot after it: rewrites the files on
  // disk to what the model above says survived, kills every open
  // WritableFile of this env, and ends a SetCrashAfterOps freeze. Other fault
  // settings stay. keep_unsynced_bytes > 0 simulates a torn tail instead of a
  // clean cut: each file still on disk keeps up to that many of its unsynced
  // bytes past its synced size (a file brought back from a removal or an
  // overwriting rename has only its synced bytes).
  // Other threads may keep calling in (what they opened before fails from
  // here on), but a read racing with the call may see a half-restored disk.
  Status DropUnsyncedData(uint64_t keep_unsynced_bytes = 0);

  // The next Append fails with kIoError (after writing half of its data if
  // set_partial_write(true)); later ones succeed again.
  void FailNextWrite() { FailWritesAfter(0); }
  // The next n Appends succeed and the one after fails as for FailNextWrite.
  // n < 0 cancels a pending failure.
  void FailWritesAfter(int64_t n);
  // Whether an injected write failure first appends the first half (rounded
  // down) of the data: a torn write. Off by default.
  void set_partial_write(bool partial);
  // The next WritableFile::Sync or TruncateFile fails with kIoError.
  void FailNextSync();
  // While on, every WritableFile::Sync and TruncateFile fails with kIoError.
  void FailSyncs(bool fail);
  // The next SyncDir fails with kIoError, leaving its entries pending.
  void FailNextDirSync();

  // Caps the total size of the files this env tracks (created or touched
  // through it and not removed). An Append that would cross the cap appends
  // the part that fits, as a write(2) on a nearly full disk does, and fails
  // with kNoSpace. Removing files frees space.
  void SetSpaceLimit(uint64_t bytes);
  void ClearSpaceLimit();
  // Total size of the tracked files: what SetSpaceLimit compares against.
  uint64_t used_bytes() const;

  // Freezes the machine after n more mutating operations: every mutating
  // operation after those fails with kIoError and changes nothing on disk,
  // until DropUnsyncedData. To crash at every boundary of a workload, run it
  // once to count its operations (mutating_op_count), then once per n with
  // a fresh directory: SetCrashAfterOps(n), run, DropUnsyncedData, recover,
  // check. crashed() tells whether the freeze refused anything.
  // REQUIRES: n >= 0.
  void SetCrashAfterOps(int64_t n);
  bool crashed() const;

  // Calls since construction, failed ones included.
  int64_t append_count() const;
  int64_t sync_count() const;  // WritableFile::Sync
  int64_t dir_sync_count() const;
  int64_t mutating_op_count() const;

 private:
  class FaultWritableFile;
  friend class FaultWritableFile;

  // A file's identity, which survives renames.
  struct Inode {
    uint64_t size = 0;
    uint64_t synced_size = 0;
    // The durable contents, saved when the file left the namespace while a
    // pending entry still refers to it.
    std::optional<std::string> saved;
  };
  using InodeRef = std::shared_ptr<Inode>;

  Status BeginMutation(const std::string& what);
  InodeRef LiveInode(const std::string& path);
  void MarkPending(const std::string& path);
  Status SaveIfStillNeeded(const std::string& path, const InodeRef& inode);
  bool PendingRefersTo(const InodeRef& inode) const;
  uint64_t UsedBytesLocked() const;
  Status SyncFailure(const std::string& fname);

  Env* const base_;

  mutable std::mutex mu_;
  // Files on disk now, by normalized path.
  std::map<std::string, InodeRef> live_;
  // Entries changed since their directory's last SyncDir, mapped to the file
  // durably there (null: none).
  std::map<std::string, InodeRef> pending_;
  // Bumped by each power cut; files opened before it refuse to work.
  uint64_t epoch_ = 0;

  int64_t writes_until_failure_ = -1;  // -1: no failure pending
  bool partial_write_ = false;
  bool fail_next_sync_ = false;
  bool fail_syncs_ = false;
  bool fail_next_dir_sync_ = false;
  std::optional<uint64_t> space_limit_;
  int64_t ops_until_freeze_ = -1;  // -1: no freeze pending; 0: frozen
  bool crashed_ = false;

  int64_t append_count_ = 0;
  int64_t sync_count_ = 0;
  int64_t dir_sync_count_ = 0;
  int64_t mutating_op_count_ = 0;
};

}  // namespace cairn::storage
