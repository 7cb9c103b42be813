// Writer: the one thread that changes the store. Connections Submit
// mutations from any thread; the writer takes everything pending (up to a
// byte budget) as one group, hands it to DB::Commit (one write and, as the
// store's sync policy says, one sync for the whole group), and only then
// completes each mutation. While it commits, the next group gathers in the
// queue; while it waits, it calls DB::SyncIfDue when the store asks.
//
// Backpressure: queued_bytes() tells how much waits; connections stop
// reading while it is over the configured cap and ask to be told
// (NotifyWhenDrained) once it is not.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/db.h"
#include "storage/histogram.h"

namespace cairn::server {

class Writer {
 public:
  // Runs through Deliver, once per mutation, in commit order.
  using Done = std::function<void(const storage::MutationResult&)>;
  // Takes work and runs it on another thread (the server posts it to its
  // event loop): one committed group's completions, so that the writer goes
  // on to the next group at once and a group costs one hand-off, not one per
  // write; and the wake-up of an idle writer (Submit).
  using Deliver = std::function<void(std::function<void()> work)>;

  struct Stats {
    uint64_t groups = 0;
    uint64_t mutations = 0;
  };

  // One mutation on its way: what the writer commits and whom it answers.
  struct Write {
    storage::Mutation mutation;
    uint64_t bytes = 0;  // memory the write holds while it waits
    Done done;
    std::chrono::steady_clock::time_point queued_at;  // set by Submit
  };

  Writer(storage::DB* db, uint64_t max_queue_bytes, Deliver deliver);
  ~Writer();

  // Queues every write of *writes, in order, and leaves it empty; they join
  // one group unless the group's byte budget splits them. An idle writer
  // that took its last group moments ago starts once Deliver has run what
  // it was handed, else at once. Each done runs once its write is
  // committed or has failed. Thread-safe.
  void Submit(std::vector<Write>* writes);
  bool congested() const { return queued_bytes_.load() > max_queue_bytes_; }
  // Runs wake (on the writer thread) once the queue is below its cap.
  void NotifyWhenDrained(std::function<void()> wake);
  uint64_t queued_bytes() const { return queued_bytes_.load(); }
  Stats stats() const;
  // Writes per group, bytes per group, and seconds from a write's Submit to
  // the end of its group's commit (synced as the store's policy says).
  storage::Histogram::Snapshot group_writes() const { return group_writes_.Read(); }
  storage::Histogram::Snapshot group_bytes() const { return group_bytes_.Read(); }
  storage::Histogram::Snapshot commit_seconds() const { return commit_seconds_.Read(); }

  // Commits everything queued and ends the thread (the DB syncs when it
  // closes). Idempotent.
  void Stop();

 private:
  void Run();
  // Moves the oldest queued writes, up to the group byte budget, to *group.
  // REQUIRES: mu_ held; group->empty().
  void TakeGroup(std::vector<Write>* group);
  void CommitGroup(std::vector<Write>* group);
  void WakeDrainWaiters();

  storage::DB* const db_;
  const uint64_t max_queue_bytes_;
  const Deliver deliver_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Write> queue_;
  std::vector<std::function<void()>> drain_waiters_;
  bool stopping_ = false;
  bool wake_scheduled_ = false;                      // a wake-up is with Deliver
  std::chrono::steady_clock::time_point last_take_;  // when the last group was taken
  std::atomic<uint64_t> queued_bytes_{0};
  Stats stats_;
  storage::Histogram group_writes_{storage::Histogram::Exponential(1, 2, 14)};   // 1 to 8192
  storage::Histogram group_bytes_{storage::Histogram::Exponential(128, 4, 10)};  // 128 B to 32 MiB
  storage::Histogram commit_seconds_{storage::Histogram::Exponential(50e-6, 2, 17)};
  std::thread thread_;
};

}  // namespace cairn::server
