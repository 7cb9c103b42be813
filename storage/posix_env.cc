// PosixEnv: the Env of env.h over POSIX system calls, returned by
// Env::Default().
//
// - Every descriptor is opened O_CLOEXEC, so a child process never inherits a
//   data file or, worse, the directory lock.
// - Errors name the operation and the file: Status::FromErrno turns ENOSPC and
//   EDQUOT into kNoSpace and the rest into kIoError, except that ENOENT
//   becomes kNotFound so callers can tell "absent" from "broken".
// - Sync is fdatasync (file data and the size needed to read it back), SyncDir
//   an fsync of the directory; TruncateFile uses fsync because only the size
//   changes.
// - ReadWholeFile maps the file read-only (MAP_PRIVATE) and hints sequential
//   access; an empty file needs no mapping.
// - LockFile takes flock(LOCK_EX | LOCK_NB), through a read-only descriptor
//   when the file exists but cannot be opened for writing. flock locks belong to the open
//   file description, so a second LockFile on the same file conflicts even
//   within one process, and closing the descriptor releases the lock. The
//   lock file is opened O_NOFOLLOW: a LOCK planted as a symbolic link would
//   otherwise let whoever planted it make cairnd create or lock a file
//   anywhere it can write.
// - What it creates is private to the owner: directories 0700, files 0600
//   (the data is the database's, and a snapshot holds every key). Modes of
//   existing directories and files are left alone: an operator who chose
//   them, or shares a directory with a backup user, keeps that choice.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "storage/env.h"

namespace cairn::storage {
namespace {

Status PosixError(const std::string& context, int err) {
  if (err == ENOENT) return Status::NotFound(context + ": " + std::strerror(err));
  return Status::FromErrno(context, err);
}

std::string Dirname(const std::string& fname) {
  const size_t slash = fname.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return fname.substr(0, slash);
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string fname, int fd, uint64_t size)
      : fname_(std::move(fname)), fd_(fd), size_(size), length_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed();
    // pwrite at our own offset keeps size_ the single source of truth for
    // where the next byte goes, so Truncate only has to move size_.
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(size_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write " + fname_, errno);
      }
      // A short write (signal, disk nearly full) is retried with the rest;
      // size_ already counts the prefix so the caller can truncate it away.
      size_ += static_cast<uint64_t>(n);
      length_ = std::max(length_, size_);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }

  Status ZeroExtend(uint64_t end) override {
    if (fd_ < 0) return Closed();
    if (end <= length_) return Status::OK();
    // Real zeros, not fallocate: ext4 marks fallocated blocks unwritten, and
    // the first write to one changes the block map, which a sync must commit.
    static const std::string zeros(1 << 20, '\0');
    uint64_t at = length_;
    while (at < end) {
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(end - at, zeros.size()));
      const ssize_t n = ::pwrite(fd_, zeros.data(), chunk, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        if (::ftruncate(fd_, static_cast<off_t>(length_)) != 0) {
          return PosixError("ftruncate " + fname_ + " after a failed write of zeros", errno);
        }
        return PosixError("write zeros to " + fname_, error);
      }
      at += static_cast<uint64_t>(n);
    }
    length_ = end;
    return Status::OK();
  }

  Status Sync() override {
    if (fd_ < 0) return Closed();
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync " + fname_, errno);
    return Status::OK();
  }

  Status Truncate(uint64_t size) override {
    if (fd_ < 0) return Closed();
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return PosixError("ftruncate " + fname_, errno);
    }
    size_ = length_ = size;
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    // Linux releases the descriptor even when close fails, so it is never
    // retried.
    const int r = ::close(fd_);
    fd_ = -1;
    if (r != 0) return PosixError("close " + fname_, errno);
    return Status::OK();
  }

  uint64_t Size() const override { return size_; }

 private:
  Status Closed() const { return Status::IoError(fname_ + ": file is closed"); }

  const std::string fname_;
  int fd_;           // -1 once closed
  uint64_t size_;    // where the next append goes
  uint64_t length_;  // of the file: size_, or more after ZeroExtend
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string fname, int fd) : fname_(std::move(fname)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }
  PosixSequentialFile(const PosixSequentialFile&) = delete;
  PosixSequentialFile& operator=(const PosixSequentialFile&) = delete;

  Status Read(size_t n, std::string* scratch, std::string_view* result) override {
    scratch->resize(n);
    size_t filled = 0;
    // Keep reading until n bytes or end of file: a short result must mean
    // end of file, never an interrupted read.
    while (filled < n) {
      const ssize_t r = ::read(fd_, scratch->data() + filled, n - filled);
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = {};
        return PosixError("read " + fname_, errno);
      }
      if (r == 0) break;
      filled += static_cast<size_t>(r);
    }
    scratch->resize(filled);
    *result = std::string_view(*scratch);
    return Status::OK();
  }

 private:
  const std::string fname_;
  const int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the flock
  PosixFileLock(const PosixFileLock&) = delete;
  PosixFileLock& operator=(const PosixFileLock&) = delete;

 private:
  const int fd_;
};

class MappedFileContents final : public FileContents {
 public:
  MappedFileContents(void* base, size_t size) : base_(base), size_(size) {}
  ~MappedFileContents() override {
    if (size_ > 0) ::munmap(base_, size_);
  }
  MappedFileContents(const MappedFileContents&) = delete;
  MappedFileContents& operator=(const MappedFileContents&) = delete;

  std::string_view data() const override { return {static_cast<const char*>(base_), size_}; }

 private:
  void* const base_;
  const size_t size_;
};

class PosixEnv final : public Env {
 public:
  // Opens fname (flags | O_CLOEXEC) and reads its size.
  static Status OpenExisting(const std::string& fname, int flags, int* fd, uint64_t* size) {
    *fd = ::open(fname.c_str(), flags | O_CLOEXEC);
    if (*fd < 0) return PosixError("open " + fname, errno);
    struct stat st;
    if (::fstat(*fd, &st) != 0) {
      const int err = errno;
      ::close(*fd);
      return PosixError("stat " + fname, err);
    }
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status NewWritableFile(const std::string& fname, std::unique_ptr<WritableFile>* result) override {
    const int fd = ::open(fname.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return PosixError("open " + fname, errno);
    *result = std::make_unique<PosixWritableFile>(fname, fd, 0);
    return Status::OK();
  }

  Status NewAppendableFile(const std::string& fname,
                           std::unique_ptr<WritableFile>* result) override {
    int fd = -1;
    uint64_t size = 0;
    Status s = OpenExisting(fname, O_WRONLY, &fd, &size);
    if (s.ok()) *result = std::make_unique<PosixWritableFile>(fname, fd, size);
    return s;
  }

  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override {
    const int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open " + fname, errno);
    *result = std::make_unique<PosixSequentialFile>(fname, fd);
    return Status::OK();
  }

  Status ReadWholeFile(const std::string& fname, std::unique_ptr<FileContents>* result) override {
    int fd = -1;
    uint64_t file_size = 0;
    Status s = OpenExisting(fname, O_RDONLY, &fd, &file_size);
    if (!s.ok()) return s;
    const auto size = static_cast<size_t>(file_size);
    void* base = nullptr;
    if (size > 0) {
      base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (base == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        return PosixError("mmap " + fname, err);
      }
      ::madvise(base, size, MADV_SEQUENTIAL);
    }
    ::close(fd);  // the mapping keeps the file
    *result = std::make_unique<MappedFileContents>(base, size);
    return Status::OK();
  }

  bool FileExists(const std::string& fname) override { return ::access(fname.c_str(), F_OK) == 0; }

  Status GetChildren(const std::string& dir, std::vector<std::string>* result) override {
    result->clear();
    DIR* d = ::opendir(dir.c_str());  // glibc opens it O_CLOEXEC
    if (d == nullptr) return PosixError("opendir " + dir, errno);
    while (true) {
      errno = 0;
      const struct dirent* entry = ::readdir(d);
      if (entry == nullptr) break;
      const std::string_view name = entry->d_name;
      if (name != "." && name != "..") result->emplace_back(name);
    }
    const int err = errno;  // readdir signals an error only through errno
    ::closedir(d);
    if (err != 0) return PosixError("readdir " + dir, err);
    return Status::OK();
  }

  Status GetFileSize(const std::string& fname, uint64_t* size) override {
    struct stat st;
    if (::stat(fname.c_str(), &st) != 0) {
      *size = 0;
      return PosixError("stat " + fname, errno);
    }
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status RemoveFile(const std::string& fname) override {
    if (::unlink(fname.c_str()) != 0) return PosixError("unlink " + fname, errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& src, const std::string& dst) override {
    if (::rename(src.c_str(), dst.c_str()) != 0) {
      return PosixError("rename " + src + " to " + dst, errno);
    }
    return Status::OK();
  }

  Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0700) == 0) return Status::OK();
    const int err = errno;
    if (err != EEXIST) return PosixError("mkdir " + dir, err);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return PosixError("stat " + dir, errno);
    if (!S_ISDIR(st.st_mode)) {
      return Status::IoError("mkdir " + dir + ": exists and is not a directory");
    }
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("open directory " + dir, errno);
    Status s;
    if (::fsync(fd) != 0) s = PosixError("fsync directory " + dir, errno);
    ::close(fd);
    return s;
  }

  Status TruncateFile(const std::string& fname, uint64_t size) override {
    const int fd = ::open(fname.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open " + fname, errno);
    Status s;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      s = PosixError("ftruncate " + fname, errno);
    } else if (::fsync(fd) != 0) {
      s = PosixError("fsync " + fname, errno);
    }
    ::close(fd);
    return s;
  }

  Status LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) override {
    int fd = ::open(fname.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      const int err = errno;
      if (err == ELOOP) {
        return Status::IoError("open lock file " + fname +
                               ": is a symbolic link, which cairnd does not follow; remove it");
      }
      // flock needs no write access: an existing lock file on read-only
      // storage still excludes other processes (cairnd --check needs this).
      if (err == EACCES || err == EROFS) {
        fd = ::open(fname.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0) return PosixError("open lock file " + fname, err);
    }
    int r;
    do {
      r = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::Busy("data directory " + Dirname(fname) +
                            " is in use by another process or another open database in this "
                            "process (lock file " +
                            fname + " is held)");
      }
      return PosixError("flock " + fname, err);
    }
    *lock = std::make_unique<PosixFileLock>(fd);
    return Status::OK();
  }
};

}  // namespace

Env* Env::Default() {
  // Never deleted, so it stays valid for code running during static
  // destruction.
  static Env* const env = new PosixEnv();
  return env;
}

}  // namespace cairn::storage
