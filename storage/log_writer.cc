#include "storage/log_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

namespace cairn::storage {

namespace {

constexpr uint64_t kMinZeroAhead = 64 << 10;
// Each extension's zeros reach the disk with the next group's sync, which
// every client waiting on it feels (docs/benchmarks.md).
constexpr uint64_t kMaxZeroAhead = 256 << 10;

// Versions reserved by one synced group record. Under a policy that does not
// sync every commit, passing the ceiling costs one sync per this many
// versions; after a crash the next run skips at most this many.
constexpr uint64_t kVersionReservation = 1 << 20;

}  // namespace

LogWriter::LogWriter(const Options& options, std::string dir, std::vector<SegmentInfo> closed,
                     uint64_t active_number, std::unique_ptr<WritableFile> active,
                     uint64_t last_version)
    : env_(options.env),
      dir_(std::move(dir)),
      segment_bytes_(options.segment_bytes),
      policy_(options.sync_policy),
      sync_period_(options.sync_period),
      reservation_(policy_ == SyncPolicy::kEveryCommit ? 0 : kVersionReservation),
      closed_(std::move(closed)),
      active_number_(active_number),
      active_(std::move(active)),
      last_version_(last_version),
      ceiling_(last_version),
      start_size_(active_->Size()),
      zeroed_end_(active_->Size()) {}

LogWriter::~LogWriter() {
  std::lock_guard lock(mu_);
  if (failure_.ok()) {
    // The zeros written ahead go, and the ceiling comes down to the last
    // version: nothing above it was handed out.
    std::string group(kGroupRecordSize, '\0');
    EncodeGroup(group.data(), last_version_, last_version_);
    Status s = active_->Truncate(active_->Size());
    if (s.ok()) s = active_->Append(group);
    dirty_ = true;
    if (s.ok()) s = SyncLocked();
    if (!s.ok()) spdlog::error("closing the log failed: {}", s.ToString());
  }
  active_->Close();
}

Status LogWriter::CreateSegment(Env* env, const std::string& dir, uint64_t number,
                                std::string_view first_records, std::unique_ptr<WritableFile>* file,
                                bool* failed_sync) {
  const std::string path = dir + "/" + SegmentFileName(number);
  Status s = env->NewWritableFile(path, file);
  if (!s.ok()) return s;
  s = (*file)->Append(EncodeSegmentHeader(number) + std::string(first_records));
  if (s.ok()) {
    s = (*file)->Sync();
    if (failed_sync) *failed_sync = !s.ok();
  }
  if (s.ok()) s = env->SyncDir(dir);
  if (!s.ok()) {
    (*file)->Close();
    file->reset();
    env->RemoveFile(path);
  }
  return s;
}

void LogWriter::EncodeGroup(char* dst, uint64_t base, uint64_t ceiling) const {
  EncodeGroupRecord(dst, last_version_, {base, ceiling, synced_size_});
}

Status LogWriter::Start(uint64_t base) {
  assert(base >= last_version_);
  std::string buffer;
  ReserveGroupRecord(&buffer);
  std::lock_guard lock(mu_);
  const uint64_t ceiling = base + reservation_;
  EncodeGroup(buffer.data(), base, ceiling);
  const uint64_t before = active_->Size();
  Status s = active_->Append(buffer);
  dirty_ = true;
  if (s.ok()) s = SyncLocked();
  if (!s.ok()) {
    CutBack(before);
    return s;
  }
  last_version_ = base;
  ceiling_ = ceiling;
  return s;
}

Status LogWriter::Commit(std::string* buffer, uint64_t last_version) {
  assert(buffer->size() > kGroupRecordSize && last_version > last_version_);
  std::lock_guard lock(mu_);
  if (!failure_.ok()) return failure_;
  // A group that would hand out versions past the ceiling raises it, and is
  // synced before any of them is.
  const bool reserve = reservation_ > 0 && last_version > ceiling_;
  const uint64_t ceiling = reserve ? last_version + reservation_ : ceiling_;
  EncodeGroup(buffer->data(), last_version_, ceiling);

  const uint64_t before = active_->Size();
  if (before + buffer->size() > zeroed_end_) ZeroAhead(before + buffer->size());
  if (!dirty_) dirty_since_ = Clock::now();
  dirty_ = true;
  Status s = active_->Append(*buffer);
  if (s.ok() && (policy_ == SyncPolicy::kEveryCommit || reserve)) s = SyncLocked();
  if (!s.ok()) {
    Status cut = CutBack(before);
    if (!cut.ok()) {
      Fail(Status::IoError(s.ToString() + "; cutting the log back also failed: " + cut.ToString()));
    }
    return s;
  }
  last_version_ = last_version;
  ceiling_ = ceiling;
  if (active_->Size() >= segment_bytes_) {
    // The group is committed whatever happens here; a failure is sticky.
    RotateLocked();
  }
  return Status::OK();
}

void LogWriter::ZeroAhead(uint64_t end) {
  // Past the rotation point the next segment takes the appends.
  if (!zero_ahead_ || end > segment_bytes_) return;
  const uint64_t step = std::clamp(zeroed_end_, kMinZeroAhead, kMaxZeroAhead);
  const uint64_t target = std::max(end, std::min(zeroed_end_ + step, segment_bytes_));
  Status s = active_->ZeroExtend(target);
  if (s.ok()) {
    zeroed_end_ = target;
    return;
  }
  zero_ahead_ = false;
  spdlog::warn("cannot write zeros ahead of the log in {}: {}; appending without them",
               SegmentFileName(active_number_), s.ToString());
}

Status LogWriter::CutBack(uint64_t size) {
  // Even after a failed sync the cut is synced for real: Linux reports an
  // error once, so this sync writes the new size, and the failed group's
  // bytes, whatever of them reached the disk, are beyond it.
  Status s = active_->Truncate(size);
  if (s.ok()) s = active_->Sync();
  synced_size_ = std::min(synced_size_, size);
  zeroed_end_ = std::min(zeroed_end_, size);
  if (s.ok()) {
    synced_size_ = size;
    dirty_ = false;
  }
  return s;
}

void LogWriter::Fail(const Status& cause) {
  if (!failure_.ok()) return;
  failure_ = Status::ReadOnly("the log is read-only after a failed sync (" + cause.ToString() +
                              "); restart to recover");
  failed_ = true;
  spdlog::critical(
      "STORAGE IS NOW READ-ONLY until restart: {}. Data in the OS cache can no longer be "
      "trusted to reach the disk; writes are refused, reads continue.",
      cause.ToString());
}

Status LogWriter::Sync() {
  std::lock_guard lock(mu_);
  return SyncLocked();
}

Status LogWriter::SyncLocked() {
  if (!failure_.ok()) return failure_;
  // A snapshot syncs once per shard; when every commit syncs, the writer has
  // usually synced everything already, and a no-op fdatasync would still
  // stall the next group behind mu_.
  if (!dirty_) return Status::OK();
  const auto start = Clock::now();
  Status s = active_->Sync();
  sync_seconds_.Observe(std::chrono::duration<double>(Clock::now() - start).count());
  ++syncs_;
  if (!s.ok()) {
    Fail(s);
    return s;
  }
  synced_size_ = active_->Size();
  dirty_ = false;
  return s;
}

LogWriter::Clock::time_point LogWriter::SyncIfDue() {
  if (policy_ != SyncPolicy::kPeriodic) return Clock::time_point::max();
  std::lock_guard lock(mu_);
  if (!dirty_ || !failure_.ok()) return Clock::time_point::max();
  const Clock::time_point due = dirty_since_ + sync_period_;
  if (Clock::now() < due) return due;
  SyncLocked();
  return Clock::time_point::max();
}

Status LogWriter::Rotate() {
  std::lock_guard lock(mu_);
  if (active_->Size() == start_size_) return Status::OK();
  return RotateLocked();
}

Status LogWriter::RotateLocked() {
  Status s = SyncLocked();
  if (!s.ok()) return s;
  // The new segment starts with the ceiling, so that it survives pruning of
  // every older segment.
  std::string group(kGroupRecordSize, '\0');
  EncodeGroupRecord(group.data(), last_version_, {last_version_, ceiling_, 0});
  std::unique_ptr<WritableFile> next;
  bool failed_sync = false;
  s = CreateSegment(env_, dir_, active_number_ + 1, group, &next, &failed_sync);
  if (failed_sync) {
    Fail(s);
    return failure_;
  }
  if (!s.ok()) {
    spdlog::warn("cannot start log segment {}: {}; appending to {} meanwhile",
                 SegmentFileName(active_number_ + 1), s.ToString(),
                 SegmentFileName(active_number_));
    return Status::OK();
  }
  closed_.push_back({active_number_, last_version_, active_->Size()});
  active_->Close();
  active_ = std::move(next);
  synced_size_ = start_size_ = zeroed_end_ = active_->Size();  // CreateSegment synced it
  dirty_ = false;
  zero_ahead_ = true;
  ++active_number_;
  return Status::OK();
}

Status LogWriter::PruneCovered(uint64_t covered) {
  std::lock_guard lock(mu_);
  size_t removed = 0;
  Status s;
  while (removed < closed_.size() && closed_[removed].last_version <= covered) {
    s = env_->RemoveFile(dir_ + "/" + SegmentFileName(closed_[removed].number));
    if (!s.ok()) break;
    ++removed;
  }
  closed_.erase(closed_.begin(), closed_.begin() + static_cast<ptrdiff_t>(removed));
  if (removed > 0) {
    Status synced = env_->SyncDir(dir_);
    if (s.ok()) s = synced;
  }
  return s;
}

Status LogWriter::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

uint64_t LogWriter::active_size() const {
  std::lock_guard lock(mu_);
  return active_->Size();
}

uint64_t LogWriter::segment_count() const {
  std::lock_guard lock(mu_);
  return closed_.size() + 1;
}

uint64_t LogWriter::total_bytes() const {
  std::lock_guard lock(mu_);
  uint64_t total = active_->Size();
  for (const SegmentInfo& segment : closed_) total += segment.bytes;
  return total;
}

}  // namespace cairn::storage
