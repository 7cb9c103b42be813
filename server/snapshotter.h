// Snapshotter: a background thread that writes snapshots, on request (the
// SNAPSHOT command) and automatically once the log has grown by a configured
// number of bytes since the last one. Snapshots run beside the writer: they
// stall writes only while one shard is copied (DB::Snapshot).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/db.h"

namespace cairn::server {

class Snapshotter {
 public:
  using Done = std::function<void(const storage::Status&, uint64_t covered)>;

  // every_bytes 0: only on request.
  Snapshotter(storage::DB* db, uint64_t every_bytes);
  ~Snapshotter();

  // Queues a snapshot; done runs on the snapshot thread when it is written.
  void Request(Done done);
  // Ends the thread after the snapshot in progress, if any. Pending requests
  // are answered with an error.
  void Stop();

 private:
  void Run();

  storage::DB* const db_;
  const uint64_t every_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Done> requests_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn::server
