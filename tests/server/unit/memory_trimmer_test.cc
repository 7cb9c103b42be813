#include "server/memory_trimmer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace cairn::server {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kOwnAllocator = true;  // the sanitizer's malloc, not glibc's
#else
constexpr bool kOwnAllocator = false;
#endif

constexpr size_t kBlock = 32 << 10;  // below malloc's mmap threshold: heap memory
constexpr size_t kBlocks = 2048;     // 64 MiB

// Allocates and touches 64 MiB of small blocks.
std::vector<void*> AllocateTouched() {
  std::vector<void*> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kBlock));
    std::memset(blocks.back(), 1, kBlock);
  }
  return blocks;
}

// Frees every other block: live neighbours keep the freed blocks from
// merging into the top of the heap, where free() alone would return them.
// free() leaves resident memory as it was. Returns the live blocks.
std::vector<void*> FreeEveryOther(const std::vector<void*>& blocks) {
  std::vector<void*> live;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i % 2 == 0) {
      std::free(blocks[i]);
    } else {
      live.push_back(blocks[i]);
    }
  }
  return live;
}

std::vector<void*> LeaveFreedMemoryInTheHeap() { return FreeEveryOther(AllocateTouched()); }

void FreeAll(const std::vector<void*>& blocks) {
  for (void* block : blocks) std::free(block);
}

// Most of each freed 32 KiB block is whole pages that trimming can return.
constexpr uint64_t kReturnable = kBlocks / 2 * kBlock / 2;

TEST(MemoryTrimmerTest, TrimReturnsFreedHeapPages) {
  if (kOwnAllocator) GTEST_SKIP() << "sanitizer allocator";
  const std::vector<void*> live = LeaveFreedMemoryInTheHeap();
  const uint64_t before = MemoryTrimmer::ResidentBytes();
  EXPECT_GE(MemoryTrimmer::FreeHeapBytes(), kBlocks / 2 * kBlock);
  MemoryTrimmer::Trim();
  const uint64_t after = MemoryTrimmer::ResidentBytes();
  EXPECT_LT(after + kReturnable, before) << "before " << before << " after " << after;
  FreeAll(live);
}

// Waits up to 10 s for resident memory to fall below before - kReturnable;
// returns it.
uint64_t WaitForTrim(uint64_t before) {
  uint64_t now = MemoryTrimmer::ResidentBytes();
  for (int i = 0; i < 500 && now + kReturnable >= before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    now = MemoryTrimmer::ResidentBytes();
  }
  return now;
}

TEST(MemoryTrimmerTest, ThreadTrimsOnceFreedMemoryPassesTheThreshold) {
  if (kOwnAllocator) GTEST_SKIP() << "sanitizer allocator";
  MemoryTrimmer trimmer(std::chrono::milliseconds(20), 16 << 20);
  const std::vector<void*> blocks = AllocateTouched();
  // Read before freeing: until then nothing is free, so nothing is trimmed.
  const uint64_t before = MemoryTrimmer::ResidentBytes();
  const std::vector<void*> live = FreeEveryOther(blocks);
  const uint64_t now = WaitForTrim(before);
  EXPECT_LT(now + kReturnable, before) << "before " << before << " now " << now;
  trimmer.Stop();
  FreeAll(live);
}

// After a trim, the freed blocks are reused and freed again between two
// looks of the thread: resident once more, while malloc's count of free
// bytes is where it was.
TEST(MemoryTrimmerTest, ThreadTrimsAgainAfterFreedMemoryWasReused) {
  if (kOwnAllocator) GTEST_SKIP() << "sanitizer allocator";
  const std::vector<void*> live = LeaveFreedMemoryInTheHeap();
  MemoryTrimmer::Trim();
  const uint64_t trimmed = MemoryTrimmer::ResidentBytes();
  // The reuse below takes well under a period: the thread's first look
  // comes after it.
  MemoryTrimmer trimmer(std::chrono::seconds(3), 16 << 20);
  std::vector<void*> reused;
  for (size_t i = 0; i < kBlocks / 2; ++i) {
    reused.push_back(std::malloc(kBlock));
    std::memset(reused.back(), 1, kBlock);
  }
  const uint64_t before = MemoryTrimmer::ResidentBytes();
  ASSERT_GT(before, trimmed + kReturnable) << "the reuse did not make the pages resident";
  FreeAll(reused);
  const uint64_t now = WaitForTrim(before);
  EXPECT_LT(now + kReturnable, before) << "before " << before << " now " << now;
  trimmer.Stop();
  FreeAll(live);
}

}  // namespace
}  // namespace cairn::server
