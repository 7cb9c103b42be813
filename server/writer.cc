#include "server/writer.h"

#include <algorithm>
#include <cassert>
#include <iterator>

namespace cairn::server {

namespace {

// A group stops growing past this many bytes, so one slow client's burst
// does not delay everyone's acknowledgement behind one huge write.
constexpr uint64_t kGroupByteBudget = 8ull << 20;

// Submit defers waking an idle writer when it took a group this recently.
constexpr auto kWakeBatchWindow = std::chrono::microseconds(200);

}  // namespace

Writer::Writer(storage::DB* db, uint64_t max_queue_bytes, Deliver deliver)
    : db_(db),
      max_queue_bytes_(max_queue_bytes),
      deliver_(std::move(deliver)),
      thread_([this] { Run(); }) {}

Writer::~Writer() { Stop(); }

void Writer::Submit(std::vector<Write>* writes) {
  uint64_t bytes = 0;
  const auto now = std::chrono::steady_clock::now();
  for (Write& w : *writes) {
    bytes += w.bytes;
    w.queued_at = now;
  }
  bool wake_now = false;
  bool schedule_wake = false;
  {
    std::lock_guard lock(mu_);
    std::move(writes->begin(), writes->end(), std::back_inserter(queue_));
    queued_bytes_ += bytes;
    // While groups follow each other closely, an idle writer is woken
    // through the event loop, after the handlers that are ready now: the
    // writes of every connection one poll found readable then join one
    // group, for one wake-up instead of one per connection
    // (docs/benchmarks.md measures it). Otherwise at once,
    // which a lone client's latency needs. A busy writer takes queued
    // writes at its next group either way.
    if (now - last_take_ > kWakeBatchWindow) {
      wake_now = true;
    } else if (!wake_scheduled_) {
      schedule_wake = wake_scheduled_ = true;
    }
  }
  writes->clear();
  if (wake_now) cv_.notify_one();
  if (schedule_wake) {
    deliver_([this] {
      {
        std::lock_guard lock(mu_);
        wake_scheduled_ = false;
      }
      cv_.notify_one();
    });
  }
}

void Writer::NotifyWhenDrained(std::function<void()> wake) {
  std::unique_lock lock(mu_);
  if (!congested()) {
    lock.unlock();
    wake();
    return;
  }
  drain_waiters_.push_back(std::move(wake));
}

Writer::Stats Writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Writer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Writer::WakeDrainWaiters() {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(mu_);
    if (congested()) return;
    waiters.swap(drain_waiters_);
  }
  for (auto& wake : waiters) wake();
}

void Writer::TakeGroup(std::vector<Write>* group) {
  assert(group->empty());
  size_t count = 0;
  uint64_t bytes = 0;
  while (count < queue_.size() && (count == 0 || bytes < kGroupByteBudget)) {
    bytes += queue_[count++].bytes;
  }
  if (count == queue_.size()) {
    group->swap(queue_);  // the usual case; the buffers take turns
    return;
  }
  std::move(queue_.begin(), queue_.begin() + count, std::back_inserter(*group));
  queue_.erase(queue_.begin(), queue_.begin() + count);
}

void Writer::Run() {
  std::vector<Write> group;
  while (true) {
    const auto sync_due = db_->SyncIfDue();
    {
      std::unique_lock lock(mu_);
      auto ready = [this] { return stopping_ || !queue_.empty(); };
      if (sync_due == std::chrono::steady_clock::time_point::max()) {
        cv_.wait(lock, ready);
      } else {
        cv_.wait_until(lock, sync_due, ready);
      }
      TakeGroup(&group);
      if (group.empty() && stopping_) break;
      if (!group.empty()) last_take_ = std::chrono::steady_clock::now();
    }
    if (!group.empty()) CommitGroup(&group);
  }
}

void Writer::CommitGroup(std::vector<Write>* group) {
  const size_t count = group->size();
  std::vector<storage::Mutation> mutations;
  std::vector<Done> dones;
  mutations.reserve(count);
  dones.reserve(count);
  uint64_t bytes = 0;
  for (Write& item : *group) {
    mutations.push_back(std::move(item.mutation));
    dones.push_back(std::move(item.done));
    bytes += item.bytes;
  }
  std::vector<storage::MutationResult> results;
  db_->Commit(mutations, &results);
  assert(results.size() == dones.size());
  const auto committed = std::chrono::steady_clock::now();
  for (const Write& item : *group) {
    commit_seconds_.Observe(std::chrono::duration<double>(committed - item.queued_at).count());
  }
  group->clear();
  group_writes_.Observe(static_cast<double>(count));
  group_bytes_.Observe(static_cast<double>(bytes));
  // Counted before anyone is answered, so a client that has its answer sees
  // its write in STATS.
  queued_bytes_ -= bytes;
  {
    std::lock_guard lock(mu_);
    ++stats_.groups;
    stats_.mutations += count;
  }
  // The mutations travel back with their completions: their buffers were
  // allocated on the delivering thread, and freeing them there keeps each
  // thread's allocator caches warm (a cross-thread free costs glibc's
  // malloc a trip to the shared arena on both sides).
  deliver_(
      [dones = std::move(dones), results = std::move(results), mutations = std::move(mutations)] {
        for (size_t i = 0; i < dones.size(); ++i) dones[i](results[i]);
      });
  WakeDrainWaiters();
}

}  // namespace cairn::server
