// TaggedRecord: an IndexRecord pointer and 16 bits of its holder's choosing
// in one u64, the bits above the pointer (user-space pointers fit in 48
// bits on x86-64 and AArch64). RecordTable keeps hash bits there and
// OrderedIndex's leaves key bytes, so that most probes and comparisons read
// no record.
#pragma once

#include <cassert>
#include <cstdint>

#include "storage/index_record.h"

namespace cairn::storage {

inline constexpr int kRecordTagShift = 48;
inline constexpr uint64_t kRecordPointerMask = (uint64_t{1} << kRecordTagShift) - 1;

inline uint64_t TagRecord(IndexRecord* record, uint16_t tag) {
  const auto bits = reinterpret_cast<uintptr_t>(record);
  assert((bits & ~kRecordPointerMask) == 0);
  return bits | (uint64_t{tag} << kRecordTagShift);
}

inline IndexRecord* TaggedRecordPointer(uint64_t tagged) {
  return reinterpret_cast<IndexRecord*>(tagged & kRecordPointerMask);
}

inline uint16_t RecordTag(uint64_t tagged) {
  return static_cast<uint16_t>(tagged >> kRecordTagShift);
}

}  // namespace cairn::storage
