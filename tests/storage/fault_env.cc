#include "tests/storage/fault_env.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <random>
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

// Rewrites fname on the real disk. No sync: the simulated machine has just
// rebooted, and the real one is not the subject of the test.
Status WriteStringToFile(Env* env, const std::string& fname, std::string_view contents) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(fname, &file);
  if (s.ok()) s = file->Append(contents);
  if (s.ok()) s = file->Close();
  return s;
}

constexpr uint64_t kPageSize = 4096;

// A uniform choice in [0, n].
uint64_t Pick(std::mt19937_64* rng, uint64_t n) {
  return std::uniform_int_distribution<uint64_t>(0, n)(*rng);
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

    const uint64_t before = base_->Size();
    if (env_->writes_until_failure_ == 0) {
      env_->writes_until_failure_ = -1;
      if (env_->partial_write_) s = base_->Append(data.substr(0, data.size() / 2));
      Wrote(before, data);
      return s.ok() ? Status::IoError(fname_ + ": injected write failure") : s;
    }
    if (env_->writes_until_failure_ > 0) --env_->writes_until_failure_;

    if (env_->space_limit_) {
      // Zeros written ahead already hold space for what lands on them.
      const uint64_t limit = *env_->space_limit_;
      const uint64_t used = env_->UsedBytesLocked();
      const uint64_t fits = (limit > used ? limit - used : 0) + (inode_->size - before);
      if (data.size() > fits) {
        s = base_->Append(data.substr(0, fits));
        Wrote(before, data);
        return s.ok() ? Status::FromErrno("write " + fname_, ENOSPC) : s;
      }
    }
    s = base_->Append(data);
    Wrote(before, data);  // a failed append may still have written a prefix
    return s;
  }

  Status ZeroExtend(uint64_t end) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    Status s = CheckAlive();
    if (s.ok()) s = env_->BeginMutation("write zeros to " + fname_);
    const uint64_t length = inode_->size;
    if (!s.ok() || end <= length) return s;
    if (env_->space_limit_ && env_->UsedBytesLocked() + (end - length) > *env_->space_limit_) {
      return Status::FromErrno("write zeros to " + fname_, ENOSPC);
    }
    s = base_->ZeroExtend(end);
    if (s.ok()) Record(Change::Write(length, std::string(end - length, '\0')));
    return s;
  }

  Status Sync() override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    ++env_->sync_count_;
    Status s = CheckAlive();
    if (s.ok()) s = env_->BeginMutation("sync " + fname_);
    if (!s.ok()) return s;
    s = env_->SyncFailure(fname_);
    if (s.ok()) s = base_->Sync();
    // A failed sync drops the dirty pages it covered (rule 5).
    MakeDurable(inode_.get(), s.ok() ? nullptr : &env_->rng_);
    return s;
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    Status s = CheckAlive();
    if (s.ok()) s = env_->BeginMutation("truncate " + fname_);
    if (s.ok()) s = base_->Truncate(size);
    if (s.ok()) Record(Change::Truncation(size));
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
  // Records the part of data that the base file took at offset: what its
  // size grew by. REQUIRES: env_->mu_ held.
  void Wrote(uint64_t offset, std::string_view data) {
    const uint64_t written = base_->Size() - offset;
    if (written > 0) Record(Change::Write(offset, std::string(data.substr(0, written))));
  }

  // REQUIRES: env_->mu_ held.
  void Record(Change change) { FaultInjectionEnv::Record(inode_.get(), std::move(change)); }

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

FaultInjectionEnv::FaultInjectionEnv(Env* base, uint64_t seed) : base_(base), rng_(seed) {}

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
    Record(inode.get(), Change::Truncation(0));  // same file, cut to nothing
  } else if (existed) {
    inode = std::make_shared<Inode>();  // not a regular file: left untracked
    inode->tracked = false;
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
    inode->tracked = false;
    inode->size = file->Size();
  }
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
  s = base_->RemoveFile(fname);
  if (!s.ok() || !inode) return s;
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
  LiveInode(dst_path);  // a file there before the env is durably there
  s = base_->RenameFile(src, dst);
  if (!s.ok()) return s;
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
    Record(inode.get(), Change::Truncation(size));
    MakeDurable(inode.get(), nullptr);
  }
  return s;
}

Status FaultInjectionEnv::LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) {
  return base_->LockFile(fname, lock);
}

Status FaultInjectionEnv::DropUnsyncedData(uint64_t keep_unsynced_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  return Cut(nullptr, keep_unsynced_bytes);
}

Status FaultInjectionEnv::PowerCut(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  std::mt19937_64 rng(seed);
  return Cut(&rng, 0);
}

// The power cut of DropUnsyncedData (rng null) or PowerCut.
// REQUIRES: mu_ held.
Status FaultInjectionEnv::Cut(std::mt19937_64* rng, uint64_t keep_unsynced_bytes) {
  ++epoch_;
  ops_until_freeze_ = -1;
  crashed_ = false;
  Status result;
  const auto note = [&result](const Status& s) {
    if (result.ok() && !s.ok()) result = s;
  };

  // Which file each name holds after the cut (rule 6).
  std::map<std::string, InodeRef> after = live_;
  for (const auto& [path, durable] : pending_) {
    const bool reached = rng != nullptr && Pick(rng, 1) == 1;
    if (reached) continue;
    if (durable) {
      after[path] = durable;
    } else {
      after.erase(path);
    }
  }

  // What each of those files holds (rules 2 and 3), decided once per file.
  // Every current byte is read before anything is written.
  std::map<const Inode*, std::string> images;
  for (const auto& [path, inode] : after) {
    if (images.contains(inode.get())) continue;
    std::string image = rng ? ImageAfterCut(*inode, rng) : inode->durable;
    if (keep_unsynced_bytes > 0) note(CurrentTail(inode, keep_unsynced_bytes, &image));
    images.emplace(inode.get(), std::move(image));
  }

  for (const auto& entry : live_) {
    if (!after.contains(entry.first)) note(base_->RemoveFile(entry.first));
  }
  for (const auto& [path, inode] : after) {
    note(WriteStringToFile(base_, path, images.at(inode.get())));
  }

  // After the reboot everything on disk is durable.
  pending_.clear();
  live_.clear();
  for (const auto& [path, inode] : after) {
    auto rebooted = std::make_shared<Inode>();
    rebooted->durable = images.at(inode.get());
    rebooted->size = rebooted->durable.size();
    live_[path] = std::move(rebooted);
  }
  return result;
}

// Appends to *image, the durable image of inode, up to keep of the current
// bytes past its end, read from a name that holds inode now (none: nothing).
// REQUIRES: mu_ held.
Status FaultInjectionEnv::CurrentTail(const InodeRef& inode, uint64_t keep, std::string* image) {
  const auto holder = std::find_if(live_.begin(), live_.end(),
                                   [&](const auto& entry) { return entry.second == inode; });
  if (holder == live_.end()) return Status::OK();
  std::string current;
  Status s = ReadFileToString(base_, holder->first, &current);
  if (s.ok() && current.size() > image->size()) {
    image->append(current, image->size(), keep);
  }
  return s;
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
  if (!IsRegularFile(path)) return nullptr;
  auto inode = std::make_shared<Inode>();
  if (!ReadFileToString(base_, path, &inode->durable).ok()) return nullptr;
  inode->size = inode->durable.size();
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

// Applies change to inode, noting the sizes it leaves.
void FaultInjectionEnv::Record(Inode* inode, Change change) {
  change.size_before = inode->size;
  change.size_after =
      change.truncate ? change.offset : std::max(inode->size, change.offset + change.data.size());
  inode->size = change.size_after;
  if (inode->tracked) inode->changes.push_back(std::move(change));
}

namespace {

// The pages [first, last) whose bytes a change sets: a write's, or for a
// truncation the pages of the bytes it cut.
template <typename Change>
std::pair<uint64_t, uint64_t> PagesOf(const Change& c) {
  const uint64_t end = c.truncate ? c.size_before : c.offset + c.data.size();
  if (end <= c.offset) return {0, 0};
  return {c.offset / kPageSize, (end + kPageSize - 1) / kPageSize};
}

// Applies the part of c that falls in page to *image, which reads as zeros
// past its end.
template <typename Change>
void ApplyToPage(const Change& c, uint64_t page, std::string* image) {
  const uint64_t page_begin = page * kPageSize;
  const uint64_t page_end = page_begin + kPageSize;
  const uint64_t begin = std::max(c.offset, page_begin);
  if (c.truncate) {
    const uint64_t end = std::min<uint64_t>(page_end, image->size());
    if (begin < end) std::fill(image->begin() + begin, image->begin() + end, '\0');
    return;
  }
  const uint64_t end = std::min(c.offset + c.data.size(), page_end);
  if (image->size() < end) image->resize(end);
  std::copy_n(c.data.begin() + (begin - c.offset), end - begin, image->begin() + begin);
}

}  // namespace

// What a power cut leaves of inode (rules 2 and 3): with rng, a random
// prefix of the changes per page and a random one of the file's sizes since
// its last sync; without, every change and the current size.
std::string FaultInjectionEnv::ImageAfterCut(const Inode& inode, std::mt19937_64* rng) {
  std::map<uint64_t, uint64_t> reached;  // page -> changes to it that reached the disk
  for (const Change& c : inode.changes) {
    for (auto [page, end] = PagesOf(c); page < end; ++page) ++reached[page];
  }
  if (rng) {
    for (auto& [page, n] : reached) n = Pick(rng, n);
  }
  std::string image = inode.durable;
  for (const Change& c : inode.changes) {
    for (auto [page, end] = PagesOf(c); page < end; ++page) {
      uint64_t& left = reached[page];
      if (left == 0) continue;
      --left;
      ApplyToPage(c, page, &image);
    }
  }
  uint64_t size = inode.size;
  if (rng) {
    const uint64_t i = Pick(rng, inode.changes.size());
    size = i == 0 ? inode.durable.size() : inode.changes[i - 1].size_after;
  }
  image.resize(size);
  return image;
}

// Makes the outcome of a sync inode's durable image: every change (rng null:
// the sync succeeded), or what a power cut would leave (it failed, rule 5).
void FaultInjectionEnv::MakeDurable(Inode* inode, std::mt19937_64* rng) {
  if (!inode->tracked) return;
  inode->durable = ImageAfterCut(*inode, rng);
  inode->changes.clear();
}

}  // namespace cairn::storage
