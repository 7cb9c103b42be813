#include "storage/recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <thread>

#include "storage/coding.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"
#include "storage/snapshot.h"

namespace cairn::storage {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kLostAndFound = "lost+found";

struct SegmentFile {
  uint64_t number = 0;
  std::string name;
  uint64_t size = 0;
  uint32_t format = 0;  // once its header was read
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class Recovery {
 public:
  Recovery(const Options& options, const std::string& dir, bool check_only,
           std::vector<std::unique_ptr<Shard>>* shards, RecoveredState* state, std::string* report)
      : options_(options),
        env_(options.env),
        dir_(dir),
        check_only_(check_only),
        shards_(*shards),
        state_(state),
        report_(report) {}

  Status Run();

 private:
  void Info(const std::string& line);
  void Warn(const std::string& line);
  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }

  Status ListDirectory();
  Status LoadSnapshots();
  // The lowest version the snapshot headers of layout claim to cover
  // (unverified: only to choose between complete sets).
  uint64_t LowestCoverInHeaders(uint32_t layout);
  Status LoadSnapshotFile(uint32_t index, uint64_t* covered);
  size_t FirstNeededSegment();
  uint64_t PeekFirstVersion(const SegmentFile& segment);
  Status ReplayLog();
  // Replays segments_[i]. *stop is set when later segments must not be read.
  Status ReplaySegment(size_t i, bool* stop);
  // Damage at offset of segments_[i] that is not a torn tail.
  Status Damage(size_t i, uint64_t offset, const std::string& what, std::string_view contents);
  Status MoveAside(size_t i, std::string_view prefix);
  void Apply(const LogRecord& record);

  const Options& options_;
  Env* const env_;
  const std::string& dir_;
  const bool check_only_;
  std::vector<std::unique_ptr<Shard>>& shards_;
  RecoveredState* const state_;
  std::string* const report_;

  std::vector<SegmentFile> segments_;
  std::map<uint32_t, std::vector<bool>> snapshot_layouts_;  // shard count -> files present
  std::vector<std::string> temp_files_;
  std::vector<uint64_t> covers_;  // per shard of the loaded layout
  uint64_t min_cover_ = 0;
  uint64_t last_version_ = 0;  // of the last log record read (a group record's base counts)
  uint64_t ceiling_ = 0;       // of the last group record read
  std::atomic<uint64_t> max_snapshot_version_{0};
  uint64_t records_replayed_ = 0;
  uint64_t bytes_replayed_ = 0;
};

void Recovery::Info(const std::string& line) {
  if (report_) report_->append(line).append("\n");
  if (!check_only_) spdlog::info("recovery: {}", line);
}

void Recovery::Warn(const std::string& line) {
  if (report_) report_->append("warning: ").append(line).append("\n");
  if (!check_only_) spdlog::warn("recovery: {}", line);
}

Status Recovery::ListDirectory() {
  std::vector<std::string> children;
  Status s = env_->GetChildren(dir_, &children);
  if (!s.ok()) return s;
  for (const std::string& name : children) {
    uint64_t number = 0;
    uint32_t count = 0, index = 0;
    if (name.ends_with(kTempSuffix)) {
      temp_files_.push_back(name);
    } else if (ParseSegmentFileName(name, &number)) {
      SegmentFile segment{number, name, 0, 0};
      s = env_->GetFileSize(Path(name), &segment.size);
      if (!s.ok()) return s;
      segments_.push_back(segment);
    } else if (ParseSnapshotFileName(name, &count, &index)) {
      auto& present = snapshot_layouts_[count];
      present.resize(count);
      present[index] = true;
    }
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.number < b.number; });
  return Status::OK();
}

namespace {

// An entry's fixed fields: key length, value length, version (snapshot.h).
constexpr uint64_t kMinSnapshotEntryBytes = 16;

}  // namespace

Status Recovery::LoadSnapshotFile(uint32_t index, uint64_t* covered) {
  const uint32_t layout = state_->snapshot_layout;
  const std::string name = SnapshotFileName(layout, index);
  std::unique_ptr<FileContents> mapped;
  Status s = env_->ReadWholeFile(Path(name), &mapped);
  if (!s.ok()) return s;
  const std::string_view contents = mapped->data();
  SnapshotInfo info;
  uint64_t max_version = 0;
  const auto shard_count = static_cast<uint32_t>(shards_.size());
  bool sized = false;
  s = ReadSnapshot(
      contents, &info, [&](std::string_view key, std::string_view value, uint64_t version) {
        // With an unchanged layout every entry goes to shard index: size its
        // hash table once rather than doubling it as it fills. The count is
        // only a hint, bounded by what the file can hold.
        if (!sized && layout == shard_count) {
          shards_[index]->Reserve(
              std::min<uint64_t>(info.entry_count, contents.size() / kMinSnapshotEntryBytes));
        }
        sized = true;
        shards_[ShardOf(key, shard_count)]->Put(key, value, version);
        max_version = std::max(max_version, version);
      });
  if (s.ok() && (info.shard_count != layout || info.shard_index != index)) {
    s = Status::Corruption("snapshot header says shard " + std::to_string(info.shard_index) +
                           " of " + std::to_string(info.shard_count));
  }
  if (!s.ok()) return Status::Corruption(Path(name) + ": " + s.message());
  *covered = info.covered_version;
  uint64_t seen = max_snapshot_version_.load();
  while (seen < max_version && !max_snapshot_version_.compare_exchange_weak(seen, max_version)) {
  }
  return Status::OK();
}

uint64_t Recovery::LowestCoverInHeaders(uint32_t layout) {
  uint64_t lowest = UINT64_MAX;
  for (uint32_t i = 0; i < layout; ++i) {
    std::unique_ptr<SequentialFile> file;
    std::string scratch;
    std::string_view header;
    uint64_t cover = 0;
    if (env_->NewSequentialFile(Path(SnapshotFileName(layout, i)), &file).ok() &&
        file->Read(kSnapshotHeaderSize, &scratch, &header).ok() &&
        header.size() == kSnapshotHeaderSize) {
      cover = DecodeFixed64(header.data() + 24);
    }
    lowest = std::min(lowest, cover);
  }
  return lowest;
}

Status Recovery::LoadSnapshots() {
  // Prefer the configured layout; otherwise the complete set whose lowest
  // cover is highest: the log is pruned up to the newest set's cover, so an
  // older set may no longer have the log it needs.
  uint32_t layout = 0;
  uint64_t best_cover = 0;
  for (const auto& [count, present] : snapshot_layouts_) {
    const bool complete = std::all_of(present.begin(), present.end(), [](bool p) { return p; });
    if (!complete) {
      Warn("ignoring incomplete snapshot set for " + std::to_string(count) + " shards");
      continue;
    }
    if (layout == options_.shards) continue;
    const uint64_t cover = LowestCoverInHeaders(count);
    if (count == options_.shards || layout == 0 || cover > best_cover) {
      layout = count;
      best_cover = cover;
    }
  }
  if (layout == 0) return Status::OK();
  state_->snapshot_layout = layout;
  covers_.assign(layout, 0);

  const auto start = Clock::now();
  uint32_t threads = options_.recovery_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, layout);
  std::atomic<uint32_t> next{0};
  std::mutex mu;
  Status first_error;
  auto work = [&] {
    for (uint32_t i = next++; i < layout; i = next++) {
      Status s = LoadSnapshotFile(i, &covers_[i]);
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = s;
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (!first_error.ok()) return first_error;

  min_cover_ = *std::min_element(covers_.begin(), covers_.end());
  state_->snapshot_version = min_cover_;
  uint64_t keys = 0;
  for (const auto& shard : shards_) keys += shard->size();
  Info("loaded " + std::to_string(layout) + " snapshots (" + std::to_string(keys) +
       " keys, covering version " + std::to_string(min_cover_) + ") in " +
       std::to_string(Seconds(Clock::now() - start)) + " s with " + std::to_string(threads) +
       " threads");
  if (layout != options_.shards) {
    Info("shard count changed from " + std::to_string(layout) + " to " +
         std::to_string(options_.shards) + ": keys re-routed");
  }
  return Status::OK();
}

uint64_t Recovery::PeekFirstVersion(const SegmentFile& segment) {
  // Reads the header and the first record only, and trusts the version only
  // if the record's checksum holds: a flipped bit here must not make
  // recovery skip older segments; nor a damaged length make it allocate
  // more than the file holds.
  constexpr size_t kHead = kSegmentHeaderSize + kRecordHeaderSize;
  std::unique_ptr<SequentialFile> file;
  if (segment.size < kHead || !env_->NewSequentialFile(Path(segment.name), &file).ok()) return 0;
  std::string contents, scratch;
  std::string_view chunk;
  if (!file->Read(kHead, &scratch, &chunk).ok() || chunk.size() < kHead) return 0;
  contents.assign(chunk);
  const uint32_t length = DecodeFixed32(contents.data() + kSegmentHeaderSize + 8);
  if (length > segment.size - kHead || !file->Read(length, &scratch, &chunk).ok()) return 0;
  contents.append(chunk);
  LogReader reader(contents);
  uint64_t number = 0;
  LogRecord record;
  if (!reader.ReadHeader(&number).ok() || !reader.Next(&record)) return 0;
  return record.is_group ? record.group.base + 1 : record.version;
}

size_t Recovery::FirstNeededSegment() {
  // Segments wholly below the snapshots' cover may outlive pruning (a crash
  // before the directory sync): start at the last one that begins at or
  // before the first version the snapshots do not cover.
  size_t first = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const uint64_t version = PeekFirstVersion(segments_[i]);
    if (version != 0 && version <= min_cover_ + 1) first = i;
  }
  return first;
}

void Recovery::Apply(const LogRecord& record) {
  const auto shard_count = static_cast<uint32_t>(shards_.size());
  for (const LogOp& op : record.ops) {
    if (!covers_.empty() &&
        record.version <= covers_[ShardOf(op.key, static_cast<uint32_t>(covers_.size()))]) {
      continue;
    }
    Shard& shard = *shards_[ShardOf(op.key, shard_count)];
    if (op.is_delete) {
      shard.Delete(op.key);
    } else {
      shard.Put(op.key, op.value, record.version);
    }
  }
}

Status Recovery::MoveAside(size_t i, std::string_view prefix) {
  const std::string aside = Path(kLostAndFound);
  Status s = env_->CreateDir(aside);
  const std::string stamp = std::to_string(std::time(nullptr)) + "-";
  for (size_t j = i; s.ok() && j < segments_.size(); ++j) {
    s = env_->RenameFile(Path(segments_[j].name), aside + "/" + stamp + segments_[j].name);
    if (s.ok())
      Warn("moved " + segments_[j].name + " to " + aside + "/" + stamp + segments_[j].name);
  }
  if (s.ok()) s = env_->SyncDir(aside);
  if (s.ok()) s = env_->SyncDir(dir_);
  if (!s.ok()) return s;
  std::unique_ptr<WritableFile> file;
  if (prefix.size() < kSegmentHeaderSize) {
    s = LogWriter::CreateSegment(env_, dir_, segments_[i].number, {}, &file);
    segments_[i].format = kLogFormatVersion;
  } else {
    const std::string tmp = Path(segments_[i].name) + std::string(kTempSuffix);
    s = env_->NewWritableFile(tmp, &file);
    if (s.ok()) s = file->Append(prefix);
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = env_->RenameFile(tmp, Path(segments_[i].name));
    if (s.ok()) s = env_->SyncDir(dir_);
  }
  if (file) file->Close();
  return s;
}

Status Recovery::Damage(size_t i, uint64_t offset, const std::string& what,
                        std::string_view contents) {
  const std::string where = Path(segments_[i].name) + " at offset " + std::to_string(offset);
  if (options_.recovery != RecoveryMode::kPointInTime || check_only_) {
    return Status::Corruption(where + ": " + what +
                              " (not a torn tail: refusing to guess; no log or snapshot file was "
                              "changed. "
                              "--recovery=point-in-time keeps the consistent prefix and moves "
                              "the damaged files to " +
                              std::string(kLostAndFound) + "/)");
  }
  Warn("point-in-time recovery: " + where + ": " + what + "; keeping the log up to version " +
       std::to_string(last_version_));
  if (!covers_.empty() && last_version_ < *std::max_element(covers_.begin(), covers_.end())) {
    Warn(
        "some snapshots cover versions past the kept log: their shards keep that newer state, "
        "so the result is not one point in time");
  }
  Status s = MoveAside(i, contents.substr(0, offset));
  segments_.resize(i + 1);
  segments_[i].size = std::max<uint64_t>(offset, kSegmentHeaderSize);
  return s;
}

Status Recovery::ReplaySegment(size_t i, bool* stop) {
  const SegmentFile& segment = segments_[i];
  const bool newest = i + 1 == segments_.size();
  std::unique_ptr<FileContents> mapped;
  Status s = env_->ReadWholeFile(Path(segment.name), &mapped);
  if (!s.ok()) return s;
  const std::string_view contents = mapped->data();
  LogReader reader(contents);
  uint64_t number = 0;
  uint32_t format = 0;
  s = reader.ReadHeader(&number, &format);
  if (s.ok() && number != segment.number) {
    s = Status::Corruption("header names segment " + std::to_string(number));
  }
  if (!s.ok()) {
    if (newest && contents.size() <= kSegmentHeaderSize + kGroupRecordSize) {
      // Created but not yet synced when the process stopped (CreateSegment
      // writes the header and a group record, then syncs): nothing in it.
      Warn(segment.name + ": " + s.message() + (check_only_ ? "; would rewrite" : "; rewriting") +
           " the header of this empty segment");
      if (check_only_) return Status::OK();
      segments_[i].format = kLogFormatVersion;
      segments_[i].size = kSegmentHeaderSize;
      std::unique_ptr<WritableFile> file;
      s = LogWriter::CreateSegment(env_, dir_, segment.number, {}, &file);
      if (file) file->Close();
      return s;
    }
    *stop = true;
    return Damage(i, 0, s.message(), contents);
  }
  segments_[i].format = format;

  LogRecord record;
  uint64_t record_start = reader.valid_bytes();
  while (reader.Next(&record)) {
    // Records every snapshot covers need only grow; from the lowest cover on,
    // versions must be consecutive, or records are missing. A group record
    // carries the version of the record before it, so it claims the one after.
    const uint64_t claimed = record.is_group ? record.version + 1 : record.version;
    const uint64_t expected = std::max(last_version_, min_cover_) + 1;
    const bool covered = claimed <= min_cover_;
    if (covered ? claimed <= last_version_ : claimed != expected) {
      *stop = true;
      return Damage(
          i, record_start,
          "record has version " + std::to_string(record.version) + ", expected " +
              std::to_string((covered ? last_version_ + 1 : expected) - (record.is_group ? 1 : 0)) +
              " (log records are missing or out of order)",
          contents);
    }
    if (record.is_group) {
      last_version_ = record.group.base;
      ceiling_ = record.group.ceiling;
    } else {
      if (!covered) Apply(record);
      last_version_ = record.version;
      ++records_replayed_;
    }
    record_start = reader.valid_bytes();
  }
  bytes_replayed_ += reader.valid_bytes();
  if (!reader.damaged()) {
    segments_[i].size = reader.valid_bytes();
    // Appends continue at the file's end: zeros the last run wrote ahead
    // of its appends must go first.
    if (!newest || check_only_ || reader.valid_bytes() == contents.size()) return Status::OK();
    return env_->TruncateFile(Path(segment.name), reader.valid_bytes());
  }

  const bool synced_damage = format == kOldestLogFormatVersion
                                 ? reader.ValidRecordFollows(last_version_)
                                 : reader.DurableClaimPast();
  if (!newest || synced_damage) {
    *stop = true;
    return Damage(i, reader.valid_bytes(), reader.damage(), contents);
  }
  const uint64_t cut = contents.size() - reader.valid_bytes();
  Warn((check_only_ ? "would cut " : "cut ") + std::to_string(cut) + " bytes of torn tail from " +
       Path(segment.name) + " at offset " + std::to_string(reader.valid_bytes()) + " (" +
       reader.damage() + ")");
  segments_[i].size = reader.valid_bytes();
  return check_only_ ? Status::OK() : env_->TruncateFile(Path(segment.name), reader.valid_bytes());
}

Status Recovery::ReplayLog() {
  const size_t first = FirstNeededSegment();
  uint64_t total = 0;
  for (size_t i = first; i < segments_.size(); ++i) total += segments_[i].size;
  const auto start = Clock::now();
  auto last_report = start;
  bool stop = false;
  size_t i = first;
  for (; i < segments_.size() && !stop; ++i) {
    Status s = ReplaySegment(i, &stop);
    if (!s.ok()) return s;
    state_->closed_segments.push_back({segments_[i].number, last_version_, segments_[i].size});
    const auto now = Clock::now();
    if (now - last_report > std::chrono::seconds(1) && total > 0) {
      last_report = now;
      Info("replayed " + std::to_string(bytes_replayed_ * 100 / total) + "% of the log (" +
           std::to_string(bytes_replayed_ >> 20) + " MiB, " +
           std::to_string(
               static_cast<uint64_t>(bytes_replayed_ / 1048576.0 / Seconds(now - start))) +
           " MiB/s)");
    }
  }
  if (!state_->closed_segments.empty()) {
    // The newest surviving segment becomes the active one.
    state_->has_active_segment = true;
    state_->active_segment = state_->closed_segments.back().number;
    state_->active_bytes = state_->closed_segments.back().bytes;
    state_->active_format = segments_[i - 1].format;
    state_->closed_segments.pop_back();
  } else {
    state_->active_segment = segments_.empty() ? 1 : segments_.back().number + 1;
  }
  // Segments before the first needed one hold only covered versions.
  std::vector<SegmentInfo> obsolete;
  for (size_t j = 0; j < first; ++j)
    obsolete.push_back({segments_[j].number, 0, segments_[j].size});
  state_->closed_segments.insert(state_->closed_segments.begin(), obsolete.begin(), obsolete.end());
  if (last_version_ != 0 && last_version_ < min_cover_) {
    Warn("the log ends at version " + std::to_string(last_version_) +
         ", below the snapshots' cover " + std::to_string(min_cover_));
  }
  Info("replayed " + std::to_string(records_replayed_) + " log records (" +
       std::to_string(bytes_replayed_) + " bytes) from " + std::to_string(i - first) +
       " segments in " + std::to_string(Seconds(Clock::now() - start)) + " s");
  return Status::OK();
}

Status Recovery::Run() {
  const auto start = Clock::now();
  Status s = ListDirectory();
  if (!s.ok()) return s;
  for (const std::string& name : temp_files_) {
    Warn((check_only_ ? "would remove " : "removing ") + std::string("unfinished file ") + name);
    if (!check_only_) env_->RemoveFile(Path(name));
  }
  s = LoadSnapshots();
  if (s.ok()) s = ReplayLog();
  if (!s.ok()) return s;
  state_->last_version = std::max({last_version_, min_cover_, max_snapshot_version_.load()});
  state_->log_last_version = last_version_;
  state_->ceiling = ceiling_;
  uint64_t keys = 0;
  for (const auto& shard : shards_) keys += shard->size();
  Info("recovered " + std::to_string(keys) + " keys at version " +
       std::to_string(state_->last_version) + " in " +
       std::to_string(Seconds(Clock::now() - start)) + " s");
  return Status::OK();
}

}  // namespace

Status Recover(const Options& options, const std::string& dir, bool check_only,
               std::vector<std::unique_ptr<Shard>>* shards, RecoveredState* state,
               std::string* report) {
  return Recovery(options, dir, check_only, shards, state, report).Run();
}

}  // namespace cairn::storage
