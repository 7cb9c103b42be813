// MemoryTrimmer: a background thread that hands heap memory the process has
// freed back to the operating system. glibc's malloc keeps freed chunks in
// the middle of its heaps: after a burst (a deep pipeline queued in the
// writer, a snapshot's copy of a shard) resident memory would stay at the
// burst's peak. Every period it asks malloc how much free memory its arenas
// hold and releases the free pages (malloc_trim; the chunks stay on malloc's
// free lists, so the count itself does not fall):
// - once that has grown by threshold bytes over the lowest it was since the
//   last trim, or
// - once resident memory has grown by threshold bytes since the last trim
//   while at least threshold bytes are free: freed pages that were reused
//   and freed again between two looks are resident again, though the free
//   count looks unchanged.
// Not on the request path: trimming stalls only threads that allocate
// meanwhile. Without glibc it does nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace cairn::server {

class MemoryTrimmer {
 public:
  MemoryTrimmer(std::chrono::milliseconds period, uint64_t threshold_bytes);
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  // Ends the thread. Idempotent.
  void Stop();

  // Free bytes malloc holds in its arenas now (0 without glibc).
  static uint64_t FreeHeapBytes();
  // The process's resident memory (0 where /proc/self/statm is missing).
  static uint64_t ResidentBytes();
  // Releases free heap pages to the system.
  static void Trim();

 private:
  void Run();

  const std::chrono::milliseconds period_;
  const uint64_t threshold_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn::server
