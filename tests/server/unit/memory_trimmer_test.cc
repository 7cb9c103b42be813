#include "server/memory_trimmer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

namespace cairn::server {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kOwnAllocator = true;  // the sanitizer's malloc, not glibc's
#else
constexpr bool kOwnAllocator = false;
#endif

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

constexpr size_t kBlock = 32 << 10;  // below malloc's mmap threshold: heap memory
constexpr size_t kBlocks = 2048;     // 64 MiB

// Allocates and touches 64 MiB of small blocks, then frees every other one:
// live neighbours keep the freed blocks from merging into the top of the
// heap, where free() alone would return them. Returns the live blocks.
std::vector<void*> LeaveFreedMemoryInTheHeap() {
  std::vector<void*> blocks, live;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kBlock));
    std::memset(blocks.back(), 1, kBlock);
  }
  for (size_t i = 0; i < kBlocks; ++i) {
    if (i % 2 == 0) {
      std::free(blocks[i]);
    } else {
      live.push_back(blocks[i]);
    }
  }
  return live;
}

void FreeAll(const std::vector<void*>& blocks) {
  for (void* block : blocks) std::free(block);
}

// Most of each freed 32 KiB block is whole pages that trimming can return.
constexpr uint64_t kReturnable = kBlocks / 2 * kBlock / 2;

TEST(MemoryTrimmerTest, TrimReturnsFreedHeapPages) {
  if (kOwnAllocator) GTEST_SKIP() << "sanitizer allocator";
  const std::vector<void*> live = LeaveFreedMemoryInTheHeap();
  const uint64_t before = ResidentBytes();
  EXPECT_GE(MemoryTrimmer::FreeHeapBytes(), kBlocks / 2 * kBlock);
  MemoryTrimmer::Trim();
  const uint64_t after = ResidentBytes();
  EXPECT_LT(after + kReturnable, before) << "before " << before << " after " << after;
  FreeAll(live);
}

TEST(MemoryTrimmerTest, ThreadTrimsOnceFreedMemoryPassesTheThreshold) {
  if (kOwnAllocator) GTEST_SKIP() << "sanitizer allocator";
  MemoryTrimmer trimmer(std::chrono::milliseconds(20), 16 << 20);
  const std::vector<void*> live = LeaveFreedMemoryInTheHeap();
  const uint64_t before = ResidentBytes();
  uint64_t now = before;
  for (int i = 0; i < 500 && now + kReturnable >= before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    now = ResidentBytes();
  }
  EXPECT_LT(now + kReturnable, before) << "before " << before << " now " << now;
  trimmer.Stop();
  FreeAll(live);
}

}  // namespace
}  // namespace cairn::server
