// FaultInjectionEnv: an Env over real files (normally under a test's temporary
// directory) that tracks what could survive a power cut, and injects the
// failures storage code must handle: failed or torn writes, failed syncs, a
// full disk, and a machine that stops mid-operation. Test-only: it lives in
// tests/storage and nothing in storage/ or server/ may use it.
//
// Crash model, at least as hostile as the Linux page cache on ext4/xfs:
// 1. Per file (inode, not name: it moves with a rename) the env keeps the
//    durable image (bytes and size as a power cut would find them) and the
//    changes since the file's last successful Sync, in order: writes (Append,
//    and ZeroExtend, whose zeros are writes like any other) and truncations
//    (WritableFile::Truncate; NewWritableFile over an existing file truncates
//    to 0).
// 2. A power cut picks, independently for every 4 KiB page (offset / 4096)
//    touched by a change since the last sync, how many of the changes
//    touching that page reached the disk: any prefix of them. A page is its
//    durable content, its current content, or a state between; which pages
//    reached the disk is any subset, not a prefix of the file.
// 3. The file's size after the cut is any one of the sizes it had since its
//    last sync (the durable size, or the size after any change). Bytes inside
//    it that no surviving write covered read as zeros (never stale blocks).
//    So a truncation is durable only after the next successful Sync: before
//    that, a cut may bring truncated bytes back (their durable content).
// 4. A successful Sync (fdatasync) makes the current content and size
//    durable and clears the changes. TruncateFile (truncate, then fsync) is
//    durable once it returns OK.
// 5. A failed Sync (FailNextSync, FailSyncs, or a failing base env) drops
//    the dirty pages it covered, as Linux does after EIO: at once the env
//    picks what reached the disk by rules 2 and 3 (with the constructor's
//    seed), makes that the durable image and clears the changes. The process
//    still reads the new bytes, but a later successful Sync does not write
//    those pages again: only changes made after the failure become durable
//    (and the current size). An injected TruncateFile failure changes
//    nothing.
// 6. Directory entries (create, rename, remove) are durable only after a
//    successful SyncDir of the directory holding the entry; a rename touches
//    two entries (src and dst), each made durable by its own directory's
//    sync. At a PowerCut each pending entry independently may have reached
//    the disk or not (ext4 commits its journal on its own); so a rename may
//    leave the file under both names or neither. DropUnsyncedData undoes
//    every pending entry: each name gets back the file durably there, or
//    none.
// 7. A file that existed before the env first touched it counts as fully
//    durable. Directories (CreateDir) are durable at once; only regular files
//    are tracked.
// 8. After a power cut every file on disk is fully durable again, and every
//    WritableFile this env handed out before it fails with kIoError (the
//    process that held it is gone); Close still releases it.
//
// Limitations (deliberate, to stay simple):
// - A file under two names after a PowerCut (rule 6) becomes two files.
// - Paths are compared after lexical normalization ("a//b/./c" is "a/b/c"),
//   not resolved: do not mix relative and absolute spellings of one file.
// - Memory: each tracked file's durable image and unsynced changes are held
//   in memory; meant for files of kilobytes to a few megabytes.
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
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "storage/env.h"
#include "storage/status.h"

namespace cairn::storage {

class FaultInjectionEnv final : public Env {
 public:
  // REQUIRES: base outlives this env, and this env outlives every file it
  // opens. seed drives the random choices of failed syncs (rule 5).
  explicit FaultInjectionEnv(Env* base, uint64_t seed = 0);
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

  // Simulates a power cut and the reboot after it, deterministically: every
  // page and size reverts to its durable image and every pending directory
  // entry is undone. Then rewrites the files on disk to that state, kills
  // every open WritableFile of this env, and ends a SetCrashAfterOps freeze.
  // Other fault settings stay. keep_unsynced_bytes > 0 simulates a torn tail
  // instead of a clean cut: each file still on disk under some name keeps up
  // to that many of the current bytes past its durable size (a file brought
  // back from a removal or an overwriting rename has only its durable image).
  // Other threads may keep calling in (what they opened before fails from
  // here on), but a read racing with the call may see a half-restored disk.
  Status DropUnsyncedData(uint64_t keep_unsynced_bytes = 0);
  // As DropUnsyncedData(0), but the disk is left in a random state the model
  // allows (rules 2, 3 and 6), the same one for the same seed and history.
  Status PowerCut(uint64_t seed);

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

  // A change to a file's data since its last successful sync.
  struct Change {
    bool truncate = false;
    uint64_t offset = 0;       // write: where data goes; truncate: the new size
    std::string data;          // write only
    uint64_t size_before = 0;  // set by Record
    uint64_t size_after = 0;   // set by Record

    static Change Write(uint64_t offset, std::string data) {
      Change c;
      c.offset = offset;
      c.data = std::move(data);
      return c;
    }
    static Change Truncation(uint64_t size) {
      Change c;
      c.truncate = true;
      c.offset = size;
      return c;
    }
  };
  // A file's identity, which survives renames.
  struct Inode {
    bool tracked = true;  // false for a file that is not a regular one
    uint64_t size = 0;    // now, as the process sees it
    std::string durable;  // what a power cut finds if no change reached the disk
    std::vector<Change> changes;
  };
  using InodeRef = std::shared_ptr<Inode>;

  Status BeginMutation(const std::string& what);
  InodeRef LiveInode(const std::string& path);
  void MarkPending(const std::string& path);
  static void Record(Inode* inode, Change change);
  static std::string ImageAfterCut(const Inode& inode, std::mt19937_64* rng);
  static void MakeDurable(Inode* inode, std::mt19937_64* rng);
  uint64_t UsedBytesLocked() const;
  Status SyncFailure(const std::string& fname);
  Status Cut(std::mt19937_64* rng, uint64_t keep_unsynced_bytes);
  Status CurrentTail(const InodeRef& inode, uint64_t keep, std::string* image);

  Env* const base_;

  mutable std::mutex mu_;
  // Files on disk now, by normalized path.
  std::map<std::string, InodeRef> live_;
  // Entries changed since their directory's last SyncDir, mapped to the file
  // durably there (null: none).
  std::map<std::string, InodeRef> pending_;
  // Bumped by each power cut; files opened before it refuse to work.
  uint64_t epoch_ = 0;
  // The random choices of failed syncs.
  std::mt19937_64 rng_;

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
