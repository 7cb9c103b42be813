#include "server/memory_trimmer.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cairn::server {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds period, uint64_t threshold_bytes)
    : period_(period), threshold_bytes_(threshold_bytes), thread_([this] { Run(); }) {}

MemoryTrimmer::~MemoryTrimmer() { Stop(); }

void MemoryTrimmer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

uint64_t MemoryTrimmer::FreeHeapBytes() {
#if defined(__GLIBC__)
  return mallinfo2().fordblks;
#else
  return 0;
#endif
}

uint64_t MemoryTrimmer::ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void MemoryTrimmer::Trim() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void MemoryTrimmer::Run() {
  std::unique_lock lock(mu_);
  uint64_t lowest = FreeHeapBytes();
  uint64_t resident_after_trim = ResidentBytes();
  while (!cv_.wait_for(lock, period_, [this] { return stopping_; })) {
    const uint64_t free_bytes = FreeHeapBytes();
    lowest = std::min(lowest, free_bytes);
    const bool free_grew = free_bytes >= lowest + threshold_bytes_;
    const bool resident_grew =
        free_bytes >= threshold_bytes_ && ResidentBytes() >= resident_after_trim + threshold_bytes_;
    if (!free_grew && !resident_grew) continue;
    Trim();
    lowest = free_bytes;
    resident_after_trim = ResidentBytes();
    spdlog::debug("returned up to {} free heap bytes to the system", free_bytes);
  }
}

}  // namespace cairn::server
