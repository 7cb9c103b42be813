// Env: every file-system access of the storage library goes through this
// interface, so that tests can substitute FaultInjectionEnv
// (tests/storage/fault_env.h) for the POSIX implementation and simulate power
// cuts, failed writes and syncs, and full disks.
//
// Durability model (what FaultInjectionEnv simulates and PosixEnv relies on):
// - bytes appended to a file survive a power cut only once WritableFile::Sync
//   has returned OK for them;
// - a created, renamed or removed directory entry survives a power cut only
//   once SyncDir on its directory has returned OK.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace cairn::storage {

// A file opened for appending. Not thread-safe; one owner at a time.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of data, or fails having appended an unknown prefix of it
  // (the caller truncates back with Truncate).
  virtual Status Append(std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync).
  virtual Status Sync() = 0;
  // Cuts the file to size bytes; later appends continue from there. Zeros
  // written ahead (ZeroExtend) past size go too.
  virtual Status Truncate(uint64_t size) = 0;
  // Writes zeros from the file's current end up to end bytes, leaving Size()
  // (where appends go) as it is: appends then overwrite blocks the file
  // already has, and syncing them commits no new file size. The zeros are
  // durable once Sync returns OK, like appended bytes. On failure the file
  // keeps the length it had. No-op when the file already reaches end.
  virtual Status ZeroExtend(uint64_t end) = 0;
  virtual Status Close() = 0;
  // Bytes in the file as this object sees it (appended, not yet synced included).
  virtual uint64_t Size() const = 0;
};

// A file read front to back.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into scratch; *result views the bytes read. A short
  // (or empty) result means end of file.
  virtual Status Read(size_t n, std::string* scratch, std::string_view* result) = 0;
};

// The whole of a file, read-only, valid while this object lives.
class FileContents {
 public:
  virtual ~FileContents() = default;
  virtual std::string_view data() const = 0;
};

// Held while a process owns a data directory; destroying it releases the lock.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never deleted.
  static Env* Default();

  // Creates (or truncates) fname for writing. A new file is private to the
  // owner (0600 before the umask); an existing one keeps its mode.
  virtual Status NewWritableFile(const std::string& fname,
                                 std::unique_ptr<WritableFile>* result) = 0;
  // Opens an existing fname to append at its end.
  virtual Status NewAppendableFile(const std::string& fname,
                                   std::unique_ptr<WritableFile>* result) = 0;
  virtual Status NewSequentialFile(const std::string& fname,
                                   std::unique_ptr<SequentialFile>* result) = 0;

  virtual bool FileExists(const std::string& fname) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* result) = 0;
  virtual Status GetFileSize(const std::string& fname, uint64_t* size) = 0;
  virtual Status RemoveFile(const std::string& fname) = 0;
  // Atomically replaces dst with src (rename(2)).
  virtual Status RenameFile(const std::string& src, const std::string& dst) = 0;
  // Creates dir, private to the owner (0700 before the umask); OK if it
  // exists already as a directory, whose mode is left as it is.
  virtual Status CreateDir(const std::string& dir) = 0;
  // Makes the entries of dir (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Cuts fname to size bytes and syncs it.
  virtual Status TruncateFile(const std::string& fname, uint64_t size) = 0;

  // Takes an exclusive advisory lock on fname (created 0600 if absent). Fails
  // with kBusy, naming the file, when another process holds it, and with
  // kIoError when fname is a symbolic link, which is never followed.
  virtual Status LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) = 0;

  // Reads the whole of fname, for recovery. This default copies it through
  // NewSequentialFile; PosixEnv maps it instead, because on virtual machines
  // the first touch of fresh heap pages is far dearer than faulting in
  // page-cache pages. REQUIRES: nobody truncates fname while *result lives
  // (a mapped page past the new end would fault with SIGBUS).
  virtual Status ReadWholeFile(const std::string& fname, std::unique_ptr<FileContents>* result);
};

// Reads the whole of fname into *contents.
Status ReadFileToString(Env* env, const std::string& fname, std::string* contents);

}  // namespace cairn::storage
