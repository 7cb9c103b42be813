#include "tests/storage/fault_env.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>
#include <string_view>
#include <utility>

namespace cairn::storage {
namespace {

// One spelling per file, so that "d//f" and "d/./f" share their model state.
std::string Normalize(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// The directory whose SyncDir makes the entry for a normalized path durable.
std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool IsRegularFile(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

Status WriteStringToFile(Env* env, const std::string& fname, std::string_view contents) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(fname, &file);
  if (s.ok()) s = file->Append(contents);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  return s;
}

}  // namespace

class FaultInjectionEnv::FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::string fname, InodeRef inode, uint64_t epoch,
                    std::unique_ptr<WritableFile> base)
      : env_(env),
        fname_(std::move(fname)),
        inode_(std::move(inode)),
        epoch_(epoch),
        base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    ++env_->append_count_;
    Status s = CheckAlive();
    if (s.ok()) s = env_->BeginMutation("append to " + fname_);
    if (!s.ok()) return s;

    if (env_->writes_until_failure_ == 0) {
      env_->writes_until_failure_ = -1;
      if (env_->partial_write_) s = base_->Append(data.substr(0, data.size() / 2));
      GrewTo(base_->Size());
      return s.ok() ? Status::IoError(fname_ + ": injected write failure") : s;
    }
    if (env_->writes_until_failure_ > 0) --env_->writes_until_failure_;

    if (env_->space_limit_) {
      // Zeros written ahead already hold space for what lands on them.
      const uint64_t limit = *env_->space_limit_;
      const uint64_t used = env_->UsedBytesLocked();
      const uint64_t fits = (limit > used ? limit - used : 0) + (inode_->size - base_->Size());
      if (data.size() > fits) {
        s = base_->Append(data.substr(0, fits));
        GrewTo(base_->Size());
        return s.ok() ? Status::FromErrno("write " + fname_, ENOSPC) : s;
      }
    }
    s = base_->Append(data);
    GrewTo(base_->Size());  // a failed append may still have written a prefix
    return s;
  }

  Status ZeroExtend(uint64_t end) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    Status s = CheckAlive();
    if (s.ok()) s = env_->BeginMutation("write zeros to " + fname_);
    if (!s.ok() || end <= inode_->size) return s;
    if (env_->space_limit_ &&
        env_->UsedBytesLocked() + (end - inode_->size) > *env_->space_limit_) {
      return Status::FromErrno("write zeros to " + fname_, ENOSPC);
    }
    s = base_->ZeroExtend(end);
    if (s.ok()) GrewTo(end);
    return s;
  }

  Status Sync() override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    ++env_->sync_count_;
    Status s = CheckAlive();
    if (s.ok()) s = env_->BeginMutation("sync " + fname_);
    if (s.ok()) s = env_->SyncFailure(fname_);
    if (s.ok()) s = base_->Sync();
    if (s.ok()) inode_->synced_size = inode_->size;
    return s;
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    Status s = CheckAlive();
    if (s.ok()) s = env_->BeginMutation("truncate " + fname_);
    if (s.ok()) s = base_->Truncate(size);
    if (s.ok()) {
      inode_->size = size;
      inode_->synced_size = std::min(inode_->synced_size, size);
    }
    return s;
  }

  Status Close() override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    const Status alive = CheckAlive();
    const Status s = base_->Close();  // releases the descriptor even when dead
    return alive.ok() ? s : alive;
  }

  uint64_t Size() const override { return base_->Size(); }

 private:
  // The file's length in the model: appends inside zeros written ahead do
  // not change it. REQUIRES: env_->mu_ held.
  void GrewTo(uint64_t end) { inode_->size = std::max(inode_->size, end); }

  // REQUIRES: env_->mu_ held.
  Status CheckAlive() const {
    if (epoch_ != env_->epoch_) {
      return Status::IoError(fname_ + ": file was open across a simulated power cut");
    }
    return Status::OK();
  }

  FaultInjectionEnv* const env_;
  const std::string fname_;
  const InodeRef inode_;
  const uint64_t epoch_;
  const std::unique_ptr<WritableFile> base_;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

Status FaultInjectionEnv::NewWritableFile(const std::string& fname,
                                          std::unique_ptr<WritableFile>* result) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = BeginMutation("create " + fname);
  if (!s.ok()) return s;
  const std::string path = Normalize(fname);
  const bool existed = base_->FileExists(fname);
  InodeRef inode = LiveInode(path);
  std::unique_ptr<WritableFile> file;
  s = base_->NewWritableFile(fname, &file);
  if (!s.ok()) return s;
  if (inode) {
    // Same file, cut to nothing; truncation counts as durable at once.
    inode->size = 0;
    inode->synced_size = 0;
  } else if (existed) {
    inode = std::make_shared<Inode>();  // not a regular file: left untracked
  } else {
    MarkPending(path);
    inode = std::make_shared<Inode>();
    live_[path] = inode;
  }
  *result =
      std::make_unique<FaultWritableFile>(this, fname, std::move(inode), epoch_, std::move(file));
  return Status::OK();
}

Status FaultInjectionEnv::NewAppendableFile(const std::string& fname,
                                            std::unique_ptr<WritableFile>* result) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<WritableFile> file;
  Status s = base_->NewAppendableFile(fname, &file);
  if (!s.ok()) return s;
  InodeRef inode = LiveInode(Normalize(fname));
  if (!inode) {
    // Not a regular file: left untracked.
    inode = std::make_shared<Inode>();
    inode->synced_size = file->Size();
  }
  inode->size = file->Size();
  *result =
      std::make_unique<FaultWritableFile>(this, fname, std::move(inode), epoch_, std::move(file));
  return Status::OK();
}

Status FaultInjectionEnv::NewSequentialFile(const std::string& fname,
                                            std::unique_ptr<SequentialFile>* result) {
  return base_->NewSequentialFile(fname, result);
}

bool FaultInjectionEnv::FileExists(const std::string& fname) { return base_->FileExists(fname); }

Status FaultInjectionEnv::GetChildren(const std::string& dir, std::vector<std::string>* result) {
  return base_->GetChildren(dir, result);
}

Status FaultInjectionEnv::GetFileSize(const std::string& fname, uint64_t* size) {
  return base_->GetFileSize(fname, size);
}

Status FaultInjectionEnv::RemoveFile(const std::string& fname) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = BeginMutation("remove " + fname);
  if (!s.ok()) return s;
  const std::string path = Normalize(fname);
  const InodeRef inode = LiveInode(path);
  if (inode) {
    s = SaveIfStillNeeded(path, inode);
    if (!s.ok()) return s;
  }
  s = base_->RemoveFile(fname);
  if (!inode) return s;
  if (!s.ok()) {
    inode->saved.reset();  // still live: the disk holds its contents
    return s;
  }
  MarkPending(path);
  live_.erase(path);
  return Status::OK();
}

Status FaultInjectionEnv::RenameFile(const std::string& src, const std::string& dst) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = BeginMutation("rename " + src + " to " + dst);
  if (!s.ok()) return s;
  const std::string src_path = Normalize(src);
  const std::string dst_path = Normalize(dst);
  if (src_path == dst_path) return base_->RenameFile(src, dst);
  const InodeRef moved = LiveInode(src_path);
  const InodeRef replaced = LiveInode(dst_path);
  if (replaced) {
    s = SaveIfStillNeeded(dst_path, replaced);
    if (!s.ok()) return s;
  }
  s = base_->RenameFile(src, dst);
  if (!s.ok()) {
    if (replaced) replaced->saved.reset();
    return s;
  }
  if (moved) {
    MarkPending(src_path);
    MarkPending(dst_path);
    live_.erase(src_path);
    live_[dst_path] = moved;
  }
  return Status::OK();
}

Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = BeginMutation("create directory " + dir);
  if (!s.ok()) return s;
  return base_->CreateDir(dir);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  ++dir_sync_count_;
  Status s = BeginMutation("sync directory " + dir);
  if (!s.ok()) return s;
  if (fail_next_dir_sync_) {
    fail_next_dir_sync_ = false;
    return Status::IoError(dir + ": injected directory sync failure");
  }
  s = base_->SyncDir(dir);
  if (!s.ok()) return s;
  const std::string synced = Normalize(dir);
  std::erase_if(pending_, [&](const auto& entry) { return DirOf(entry.first) == synced; });
  return Status::OK();
}

Status FaultInjectionEnv::TruncateFile(const std::string& fname, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = BeginMutation("truncate " + fname);
  if (s.ok()) s = SyncFailure(fname);
  if (!s.ok()) return s;
  const InodeRef inode = LiveInode(Normalize(fname));
  s = base_->TruncateFile(fname, size);
  if (s.ok() && inode) {
    inode->size = size;
    inode->synced_size = size;
  }
  return s;
}

Status FaultInjectionEnv::LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) {
  return base_->LockFile(fname, lock);
}

Status FaultInjectionEnv::DropUnsyncedData(uint64_t keep_unsynced_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  ++epoch_;
  ops_until_freeze_ = -1;
  crashed_ = false;
  Status result;
  const auto note = [&result](const Status& s) {
    if (result.ok() && !s.ok()) result = s;
  };

  // File data first: a file renamed away from a pending entry is copied back
  // from its current name below, and must be copied already cut.
  for (const auto& [path, inode] : live_) {
    uint64_t disk_size = 0;
    Status s = base_->GetFileSize(path, &disk_size);
    if (s.ok()) {
      const uint64_t durable = std::min(disk_size, inode->synced_size);
      const uint64_t cut = durable + std::min(keep_unsynced_bytes, disk_size - durable);
      if (cut < disk_size) s = base_->TruncateFile(path, cut);
    }
    note(s);
  }

  // Then the pending entries. Every source is read before anything is
  // written, because a source may itself be a pending entry about to change.
  std::set<std::string> paths;
  for (const auto& entry : live_) paths.insert(entry.first);
  std::vector<std::pair<std::string, std::optional<std::string>>> restores;
  for (const auto& [path, durable] : pending_) {
    const auto live = live_.find(path);
    if (durable == (live == live_.end() ? nullptr : live->second)) continue;
    if (!durable) {
      restores.emplace_back(path, std::nullopt);
      paths.erase(path);
      continue;
    }
    std::string contents;
    if (durable->saved) {
      contents = *durable->saved;
    } else {
      // Not saved, so it is still on disk under another name.
      const auto holder =
          std::find_if(live_.begin(), live_.end(),
                       [&durable = durable](const auto& entry) { return entry.second == durable; });
      if (holder == live_.end()) {
        note(Status::IoError(path + ": fault injection env lost its durable contents"));
        continue;
      }
      note(ReadFileToString(base_, holder->first, &contents));
    }
    restores.emplace_back(path, std::move(contents));
    paths.insert(path);
  }
  for (const auto& [path, contents] : restores) {
    note(contents ? WriteStringToFile(base_, path, *contents) : base_->RemoveFile(path));
  }

  // After the reboot everything on disk is durable.
  pending_.clear();
  live_.clear();
  for (const std::string& path : paths) {
    auto inode = std::make_shared<Inode>();
    note(base_->GetFileSize(path, &inode->size));
    inode->synced_size = inode->size;
    live_[path] = std::move(inode);
  }
  return result;
}

void FaultInjectionEnv::FailWritesAfter(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  writes_until_failure_ = n < 0 ? -1 : n;
}

void FaultInjectionEnv::set_partial_write(bool partial) {
  std::lock_guard<std::mutex> lock(mu_);
  partial_write_ = partial;
}

void FaultInjectionEnv::FailNextSync() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_sync_ = true;
}

void FaultInjectionEnv::FailSyncs(bool fail) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_syncs_ = fail;
}

void FaultInjectionEnv::FailNextDirSync() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_dir_sync_ = true;
}

void FaultInjectionEnv::SetSpaceLimit(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  space_limit_ = bytes;
}

void FaultInjectionEnv::ClearSpaceLimit() {
  std::lock_guard<std::mutex> lock(mu_);
  space_limit_.reset();
}

uint64_t FaultInjectionEnv::used_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return UsedBytesLocked();
}

void FaultInjectionEnv::SetCrashAfterOps(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  ops_until_freeze_ = n;
}

bool FaultInjectionEnv::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

int64_t FaultInjectionEnv::append_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return append_count_;
}

int64_t FaultInjectionEnv::sync_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sync_count_;
}

int64_t FaultInjectionEnv::dir_sync_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dir_sync_count_;
}

int64_t FaultInjectionEnv::mutating_op_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mutating_op_count_;
}

// REQUIRES: mu_ held.
Status FaultInjectionEnv::BeginMutation(const std::string& what) {
  ++mutating_op_count_;
  if (ops_until_freeze_ == 0) {
    crashed_ = true;
    return Status::IoError(what + ": machine frozen by SetCrashAfterOps");
  }
  if (ops_until_freeze_ > 0) --ops_until_freeze_;
  return Status::OK();
}

// The model state of the regular file at path, or null if there is none. A
// file first met here predates the env and counts as fully durable.
// REQUIRES: mu_ held.
FaultInjectionEnv::InodeRef FaultInjectionEnv::LiveInode(const std::string& path) {
  const auto it = live_.find(path);
  if (it != live_.end()) return it->second;
  uint64_t size = 0;
  if (!IsRegularFile(path) || !base_->GetFileSize(path, &size).ok()) return nullptr;
  auto inode = std::make_shared<Inode>();
  inode->size = size;
  inode->synced_size = size;
  live_[path] = inode;
  return inode;
}

// Records, before the entry at path first changes after its directory's last
// sync, which file is durably there.
// REQUIRES: mu_ held.
void FaultInjectionEnv::MarkPending(const std::string& path) {
  const auto live = live_.find(path);
  pending_.try_emplace(path, live == live_.end() ? nullptr : live->second);
}

// Saves the durable contents of inode, about to leave the namespace at path,
// if a pending entry will refer to it; the disk will not hold them any more.
// REQUIRES: mu_ held; inode is live at path.
Status FaultInjectionEnv::SaveIfStillNeeded(const std::string& path, const InodeRef& inode) {
  if (pending_.contains(path) && !PendingRefersTo(inode)) return Status::OK();
  std::string contents;
  Status s = ReadFileToString(base_, path, &contents);
  if (!s.ok()) return s;
  contents.resize(std::min<uint64_t>(contents.size(), inode->synced_size));
  inode->saved = std::move(contents);
  return Status::OK();
}

// REQUIRES: mu_ held.
bool FaultInjectionEnv::PendingRefersTo(const InodeRef& inode) const {
  return std::any_of(pending_.begin(), pending_.end(),
                     [&](const auto& entry) { return entry.second == inode; });
}

// REQUIRES: mu_ held.
uint64_t FaultInjectionEnv::UsedBytesLocked() const {
  uint64_t used = 0;
  for (const auto& entry : live_) used += entry.second->size;
  return used;
}

// The injected failure, if any, for a sync of fname.
// REQUIRES: mu_ held.
Status FaultInjectionEnv::SyncFailure(const std::string& fname) {
  if (fail_next_sync_ || fail_syncs_) {
    fail_next_sync_ = false;
    return Status::IoError(fname + ": injected sync failure");
  }
  return Status::OK();
}

}  // namespace cairn::storage
