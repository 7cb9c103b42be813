#include "tests/fuzz/alloc_meter.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace cairn::fuzz {
namespace {

std::atomic<size_t> live_bytes{0};
std::atomic<size_t> peak_bytes{0};

// Null when memory is exhausted.
void* TryAllocate(size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) return nullptr;
  const size_t now = live_bytes.fetch_add(malloc_usable_size(p)) + malloc_usable_size(p);
  size_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return p;
}

void* Allocate(size_t size) {
  void* p = TryAllocate(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void Free(void* p) {
  if (p == nullptr) return;
  live_bytes.fetch_sub(malloc_usable_size(p));
  std::free(p);
}

}  // namespace

size_t AllocMeter::live() { return live_bytes.load(); }
size_t AllocMeter::peak() { return peak_bytes.load(); }
void AllocMeter::ResetPeak() { peak_bytes.store(live_bytes.load()); }

}  // namespace cairn::fuzz

void* operator new(size_t size) { return cairn::fuzz::Allocate(size); }
void* operator new[](size_t size) { return cairn::fuzz::Allocate(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return cairn::fuzz::TryAllocate(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return cairn::fuzz::TryAllocate(size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { cairn::fuzz::Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { cairn::fuzz::Free(p); }
void operator delete(void* p) noexcept { cairn::fuzz::Free(p); }
void operator delete[](void* p) noexcept { cairn::fuzz::Free(p); }
void operator delete(void* p, size_t) noexcept { cairn::fuzz::Free(p); }
void operator delete[](void* p, size_t) noexcept { cairn::fuzz::Free(p); }
