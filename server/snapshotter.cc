#include "server/snapshotter.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace cairn::server {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollPeriod = std::chrono::milliseconds(200);
// After an automatic snapshot fails (a full disk, say), wait this long
// before trying again rather than fill the log with the same error.
constexpr auto kRetryDelay = std::chrono::seconds(10);

}  // namespace

Snapshotter::Snapshotter(storage::DB* db, uint64_t every_bytes)
    : db_(db), every_bytes_(every_bytes), thread_([this] { Run(); }) {}

Snapshotter::~Snapshotter() { Stop(); }

void Snapshotter::Request(Done done) {
  {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(done));
  }
  cv_.notify_one();
}

void Snapshotter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Snapshotter::Run() {
  std::unique_lock lock(mu_);
  auto automatic_after = Clock::now();
  while (!stopping_) {
    cv_.wait_for(lock, kPollPeriod, [this] { return stopping_ || !requests_.empty(); });
    if (stopping_) break;
    const bool automatic = every_bytes_ > 0 && !db_->read_only() &&
                           Clock::now() >= automatic_after &&
                           db_->Stats().log_bytes_since_snapshot >= every_bytes_;
    if (requests_.empty() && !automatic) continue;
    std::vector<Done> requests;
    requests.swap(requests_);
    lock.unlock();
    const auto start = Clock::now();
    uint64_t covered = 0;
    storage::Status s = db_->Snapshot(&covered);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (s.ok()) {
      spdlog::info("snapshot ({}) covers version {}, written in {:.3f} s",
                   requests.empty() ? "automatic" : "requested", covered, seconds);
    } else {
      spdlog::error("snapshot failed: {}", s.ToString());
      automatic_after = Clock::now() + kRetryDelay;
    }
    for (Done& done : requests) done(s, covered);
    lock.lock();
  }
  std::vector<Done> abandoned;
  abandoned.swap(requests_);
  lock.unlock();
  for (Done& done : abandoned) done(storage::Status::IoError("server is shutting down"), 0);
}

}  // namespace cairn::server
