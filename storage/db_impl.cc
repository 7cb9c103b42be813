#include "storage/db_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <filesystem>
#include <limits>

#include "storage/coding.h"
#include "storage/log_format.h"
#include "storage/recovery.h"
#include "storage/snapshot.h"

namespace cairn::storage {

namespace {

constexpr std::string_view kLockFileName = "LOCK";

// INCR's rule: optional leading '-', then one or more decimal digits, in i64.
bool ParseDecimal(std::string_view text, int64_t* value) {
  std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

// At least the log bytes m's record takes (an INCR's value has at most 20
// digits), so that a group's buffer is sized once.
size_t LogBytesOf(const Mutation& m) {
  size_t data_bytes = m.key.size() + m.value.size() + 20;
  for (const BatchOp& op : m.ops) data_bytes += op.key.size() + op.value.size();
  return LogRecordBytesBound(std::max<size_t>(m.ops.size(), 1), data_bytes);
}

// The bytes of a mutation were written by the thread that received it and
// are not in this core's cache: ask for them a few mutations ahead, so the
// copy into the log does not wait on each miss in turn.
void PrefetchBytes(const Mutation& m) {
  __builtin_prefetch(m.key.data());
  __builtin_prefetch(m.value.data());
  __builtin_prefetch(m.value.data() + m.value.size() / 2);
  __builtin_prefetch(m.value.data() + m.value.size());
}
constexpr size_t kPrefetchAhead = 4;

MutationResult Failure(MutationResult::Code code, std::string message) {
  MutationResult result;
  result.code = code;
  result.message = std::move(message);
  return result;
}

}  // namespace

class DBImpl::GroupView {
 public:
  struct Entry {
    LogOp op;
    uint64_t version;
  };

  explicit GroupView(const DBImpl* db) : db_(db) {}

  uint64_t VersionOf(std::string_view key) {
    if (const Entry* e = Latest(key)) return e->op.is_delete ? 0 : e->version;
    return db_->ShardFor(key).VersionOf(key);
  }

  // The key's current value, if present; *scratch may hold its bytes.
  std::optional<std::string_view> ValueOf(std::string_view key, std::string* scratch) {
    if (const Entry* e = Latest(key)) {
      if (e->op.is_delete) return std::nullopt;
      return e->op.value;
    }
    std::optional<IndexEntry> entry = db_->ShardFor(key).Get(key);
    if (!entry) return std::nullopt;
    *scratch = std::move(entry->value);
    return std::string_view(*scratch);
  }

  // REQUIRES: op's key and value outlive the view.
  void Add(const LogOp& op, uint64_t version) { entries_.push_back(Entry{op, version}); }
  // Every op resolved so far, in order.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  // Keys are indexed only once a lookup needs them, so a group of plain puts
  // never builds the map.
  const Entry* Latest(std::string_view key) {
    for (; indexed_ < entries_.size(); ++indexed_) latest_[entries_[indexed_].op.key] = indexed_;
    auto it = latest_.find(key);
    return it == latest_.end() ? nullptr : &entries_[it->second];
  }

  const DBImpl* db_;
  std::vector<Entry> entries_;
  size_t indexed_ = 0;  // entries_[0, indexed_) are in latest_
  std::unordered_map<std::string_view, size_t> latest_;
};

Status DB::Open(const Options& options, const std::string& dir, std::unique_ptr<DB>* db) {
  if (options.shards == 0) return Status::InvalidArgument("shard count must be at least 1");
  auto impl = std::make_unique<DBImpl>(options, dir);
  Status s = impl->Init();
  if (s.ok()) *db = std::move(impl);
  return s;
}

Status DB::Check(const Options& options, const std::string& dir, std::string* report) {
  if (options.shards == 0) return Status::InvalidArgument("shard count must be at least 1");
  std::unique_ptr<FileLock> lock;
  const std::string lock_file = dir + "/" + std::string(kLockFileName);
  if (options.env->FileExists(lock_file)) {
    Status s = options.env->LockFile(lock_file, &lock);
    if (!s.ok()) return s;
  }
  // Open creates segment 1 in a new directory, so every directory it ever
  // opened holds a segment or (after snapshots) a snapshot. Without either,
  // this is not Cairn's data (a mistyped path, say): it would open, but as a
  // new empty store, which is not what a check is asked about.
  std::vector<std::string> children;
  Status s = options.env->GetChildren(dir, &children);
  if (s.IsNotFound()) return Status::NotFound(dir + " does not exist: not a Cairn data directory");
  if (!s.ok()) return s;
  const bool holds_data = std::any_of(children.begin(), children.end(), [](const std::string& n) {
    uint64_t segment = 0;
    uint32_t shard_count = 0;
    uint32_t shard_index = 0;
    return ParseSegmentFileName(n, &segment) ||
           ParseSnapshotFileName(n, &shard_count, &shard_index);
  });
  if (!holds_data) {
    return Status::NotFound(dir + ": no log segment and no snapshot: not a Cairn data directory");
  }
  std::vector<std::unique_ptr<Shard>> shards;
  for (uint32_t i = 0; i < options.shards; ++i) shards.push_back(std::make_unique<Shard>());
  RecoveredState state;
  return Recover(options, dir, /*check_only=*/true, &shards, &state, report);
}

DBImpl::DBImpl(const Options& options, std::string dir) : options_(options), dir_(std::move(dir)) {
  for (uint32_t i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

DBImpl::~DBImpl() = default;

Status DBImpl::Init() {
  Env* env = options_.env;
  Status s = env->CreateDir(dir_);
  // The directory's own entry must be durable before anything in it is.
  const std::string parent = std::filesystem::path(dir_).parent_path().string();
  if (s.ok()) s = env->SyncDir(parent.empty() ? "." : parent);
  if (s.ok()) s = env->LockFile(dir_ + "/" + std::string(kLockFileName), &lock_);
  if (!s.ok()) return s;
  RecoveredState state;
  s = Recover(options_, dir_, /*check_only=*/false, &shards_, &state, nullptr);
  if (!s.ok()) return s;
  std::unique_ptr<WritableFile> active;
  if (state.has_active_segment && state.active_format == kLogFormatVersion) {
    s = env->NewAppendableFile(dir_ + "/" + SegmentFileName(state.active_segment), &active);
  } else {
    // A segment of an older format is closed as it is: new records go to a
    // segment of the current one.
    if (state.has_active_segment) {
      state.closed_segments.push_back(
          {state.active_segment, state.log_last_version, state.active_bytes});
      ++state.active_segment;
    }
    s = LogWriter::CreateSegment(env, dir_, state.active_segment, {}, &active);
  }
  if (!s.ok()) return s;
  log_ =
      std::make_unique<LogWriter>(options_, dir_, std::move(state.closed_segments),
                                  state.active_segment, std::move(active), state.log_last_version);
  // Versions up to the recovered ceiling may have been handed out before a
  // crash: the run starts past them.
  const uint64_t base = std::max(state.last_version, state.ceiling);
  s = log_->Start(base);
  if (!s.ok()) return s;
  last_version_ = base;
  snapshot_version_ = state.snapshot_version;
  log_bytes_since_snapshot_ = log_->total_bytes();
  // A new shard layout needs its own snapshots before old ones can go; and
  // when snapshots hold versions past the end of the log (point-in-time
  // recovery kept a shorter log), new records would follow a gap in the log
  // unless fresh snapshots cover everything up to them.
  const bool resharded = state.snapshot_layout != 0 && state.snapshot_layout != options_.shards;
  const bool log_behind =
      state.last_version > std::max(state.log_last_version, state.snapshot_version);
  if (resharded || log_behind) {
    uint64_t covered = 0;
    s = Snapshot(&covered);
  }
  return s;
}

Shard& DBImpl::ShardFor(std::string_view key) const {
  return *shards_[ShardOf(key, static_cast<uint32_t>(shards_.size()))];
}

bool DBImpl::Resolve(const Mutation& m, GroupView* view, uint64_t version, std::vector<LogOp>* ops,
                     MutationResult* result) {
  using Code = MutationResult::Code;
  switch (m.kind) {
    case Mutation::Kind::kPut:
      ops->push_back({false, m.key, m.value});
      break;
    case Mutation::Kind::kDelete: {
      const uint64_t current = view->VersionOf(m.key);
      const bool expected_absent = m.has_expected_version && m.expected_version == 0;
      if (current == 0 && (!m.has_expected_version || expected_absent)) {
        result->code = Code::kNotFound;
        return false;
      }
      if (m.has_expected_version && m.expected_version != current) {
        result->code = Code::kVersionMismatch;
        result->current_version = current;
        return false;
      }
      ops->push_back({true, m.key, {}});
      break;
    }
    case Mutation::Kind::kCas: {
      const uint64_t current = view->VersionOf(m.key);
      if (current != m.expected_version) {
        result->code = Code::kVersionMismatch;
        result->current_version = current;
        return false;
      }
      ops->push_back({false, m.key, m.value});
      break;
    }
    case Mutation::Kind::kIncr: {
      std::string scratch;
      int64_t current = 0;
      std::optional<std::string_view> value = view->ValueOf(m.key, &scratch);
      if (value && !ParseDecimal(*value, &current)) {
        *result = Failure(Code::kTypeError, "value is not a decimal integer that fits in i64");
        return false;
      }
      int64_t sum = 0;
      if (__builtin_add_overflow(current, m.delta, &sum)) {
        *result = Failure(Code::kTypeError, "increment would overflow i64");
        return false;
      }
      result->value = std::to_string(sum);
      ops->push_back({false, m.key, result->value});
      break;
    }
    case Mutation::Kind::kBatch:
      assert(!m.ops.empty());
      for (const BatchOp& op : m.ops) ops->push_back({op.is_delete, op.key, op.value});
      break;
  }
  result->code = Code::kOk;
  result->version = version;
  return true;
}

void DBImpl::Commit(std::span<const Mutation> mutations, std::vector<MutationResult>* results) {
  using Code = MutationResult::Code;
  // Sized once: resolved INCR values live in *results and the log ops view them.
  results->assign(mutations.size(), MutationResult{});
  if (log_->failed()) {
    const std::string why = log_->failure().message();
    for (MutationResult& r : *results) r = Failure(Code::kReadOnly, why);
    return;
  }
  GroupView view(this);
  std::string buffer;
  size_t buffer_bytes = kGroupRecordSize;
  for (const Mutation& m : mutations) buffer_bytes += LogBytesOf(m);
  buffer.reserve(buffer_bytes);
  LogWriter::ReserveGroupRecord(&buffer);
  std::vector<LogOp> ops;  // one mutation's, reused
  const uint64_t first_version = last_version_.load(std::memory_order_relaxed) + 1;
  uint64_t version = first_version - 1;
  for (size_t i = 0; i < mutations.size(); ++i) {
    if (i + kPrefetchAhead < mutations.size()) PrefetchBytes(mutations[i + kPrefetchAhead]);
    ops.clear();
    if (Resolve(mutations[i], &view, version + 1, &ops, &(*results)[i])) {
      ++version;
      AppendLogRecord(&buffer, version, ops);
      for (const LogOp& op : ops) view.Add(op, version);
    }
  }
  if (version < first_version) return;

  Status s = log_->Commit(&buffer, version);
  if (!s.ok()) {
    for (MutationResult& r : *results) r = Failure(Code::kIoError, s.ToString());
    return;
  }

  for (const GroupView::Entry& e : view.entries()) {
    if (e.op.is_delete) {
      ShardFor(e.op.key).Delete(e.op.key);
    } else {
      ShardFor(e.op.key).Put(e.op.key, e.op.value, e.version);
    }
  }
  last_version_.store(version);
  log_bytes_since_snapshot_ += buffer.size();
}

std::chrono::steady_clock::time_point DBImpl::SyncIfDue() { return log_->SyncIfDue(); }

Status DBImpl::SyncLog() { return log_->Sync(); }

std::optional<ValueAndVersion> DBImpl::Get(std::string_view key) const {
  std::optional<IndexEntry> entry = ShardFor(key).Get(key);
  if (!entry) return std::nullopt;
  return ValueAndVersion{std::move(entry->value), entry->version};
}

ScanResult DBImpl::Scan(std::string_view start, std::string_view end, size_t limit,
                        size_t max_bytes) const {
  ScanResult result;
  if (limit == 0) return result;
  // Each shard is ordered; the range's first limit+1 keys are among the
  // first limit+1 of every shard.
  std::vector<std::pair<std::string, IndexEntry>> candidates;
  for (const auto& shard : shards_) shard->Scan(start, end, limit + 1, &candidates);
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t bytes = 0;
  for (auto& [key, entry] : candidates) {
    const size_t size = key.size() + entry.value.size();
    if (result.entries.size() == limit || (!result.entries.empty() && bytes + size > max_bytes)) {
      result.more = true;
      break;
    }
    bytes += size;
    result.entries.emplace_back(std::move(key), std::move(entry.value));
  }
  return result;
}

DbStats DBImpl::Stats() const {
  DbStats stats;
  for (const auto& shard : shards_) {
    stats.keys += shard->size();
    stats.key_bytes += shard->key_bytes();
    stats.value_bytes += shard->value_bytes();
    stats.index_bytes += shard->memory_bytes();
  }
  stats.last_version = last_version_.load();
  stats.snapshot_version = snapshot_version_.load();
  stats.shards = static_cast<uint32_t>(shards_.size());
  stats.log_segments = log_->segment_count();
  stats.log_bytes = log_->total_bytes();
  stats.log_bytes_since_snapshot = log_bytes_since_snapshot_.load();
  stats.log_syncs = log_->sync_count();
  stats.log_sync_seconds = log_->sync_seconds();
  stats.read_only = log_->failed();
  return stats;
}

Status DBImpl::RemoveStaleSnapshots() {
  std::vector<std::string> children;
  Status s = options_.env->GetChildren(dir_, &children);
  bool removed = false;
  for (const std::string& name : children) {
    uint32_t count = 0, index = 0;
    if (s.ok() && ParseSnapshotFileName(name, &count, &index) && count != options_.shards) {
      s = options_.env->RemoveFile(dir_ + "/" + name);
      removed = true;
    }
  }
  if (s.ok() && removed) s = options_.env->SyncDir(dir_);
  return s;
}

Status DBImpl::Snapshot(uint64_t* covered) {
  std::lock_guard lock(snapshot_mu_);
  // The active segment is closed first, so that the snapshots cover all of
  // it and the pruning below can remove it.
  Status rotated = log_->Rotate();
  if (!rotated.ok()) return rotated;
  const uint64_t bytes_at_start = log_bytes_since_snapshot_.load();
  uint64_t lowest = std::numeric_limits<uint64_t>::max();
  const auto shard_count = static_cast<uint32_t>(shards_.size());
  for (uint32_t i = 0; i < shard_count; ++i) {
    uint64_t cover = 0;
    std::vector<SnapshotEntry> entries = shards_[i]->Copy([&] { cover = last_version_.load(); });
    // The copy may hold writes newer than cover that are written but not yet
    // synced (SyncPolicy::kPeriodic, kNone): sync them before the image that
    // contains them can become durable.
    Status s = log_->Sync();
    if (!s.ok()) return s;
    s = WriteSnapshot(options_.env, dir_, {shard_count, i, cover}, entries);
    if (!s.ok()) return s;
    lowest = std::min(lowest, cover);
  }
  Status s = RemoveStaleSnapshots();
  if (s.ok()) s = log_->PruneCovered(lowest);
  if (!s.ok()) return s;
  snapshot_version_ = lowest;
  log_bytes_since_snapshot_ -= std::min(bytes_at_start, log_bytes_since_snapshot_.load());
  *covered = lowest;
  return Status::OK();
}

}  // namespace cairn::storage
