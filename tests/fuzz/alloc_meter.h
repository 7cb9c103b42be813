// AllocMeter: the bytes a fuzz target holds through operator new, so that it
// can check that parsing costs memory in proportion to its input (a parser
// that turns each input byte into tens of bytes is a denial of service
// however correct its output). Linking alloc_meter.cc replaces the global
// operator new and delete of the whole program.
#pragma once

#include <cstddef>

namespace cairn::fuzz {

class AllocMeter {
 public:
  // Bytes allocated and not yet freed.
  static size_t live();
  // The most live() has been since the last ResetPeak().
  static size_t peak();
  static void ResetPeak();
};

// Fails the fuzz run (a trap libFuzzer reports with the input) when parsing
// input_bytes raised the peak more than kBytesPerInputByte per byte plus
// kSlackBytes above base.
// A BATCH op of empty fields is 13 bytes on the wire and ~120 in memory.
constexpr size_t kBytesPerInputByte = 12;
constexpr size_t kSlackBytes = 64 * 1024;
inline void CheckPeakSince(size_t base, size_t input_bytes) {
  if (AllocMeter::peak() - base > kBytesPerInputByte * input_bytes + kSlackBytes) {
    __builtin_trap();
  }
}

}  // namespace cairn::fuzz
