// Shared fixtures of the micro-benchmarks: deterministic workloads (random
// 16-byte keys, 100-byte values, as the reference workload) and a
// scratch directory removed on exit. Kept free of gtest so the benchmark
// binary does not depend on the test framework.
#pragma once

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace cairn::bench {

inline constexpr size_t kKeyBytes = 16;
inline constexpr size_t kValueBytes = 100;

// count distinct random keys of kKeyBytes arbitrary bytes; the same for a
// given seed on every run, so runs compare.
inline std::vector<std::string> RandomKeys(size_t count, uint64_t seed = 301) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys;
  keys.reserve(count);
  while (keys.size() < count) {
    std::string key(kKeyBytes, '\0');
    for (size_t i = 0; i < kKeyBytes; i += 8) {
      const uint64_t word = rng();
      for (size_t j = 0; j < 8; ++j) key[i + j] = static_cast<char>(word >> (8 * j));
    }
    keys.push_back(std::move(key));
  }
  return keys;  // 128 random bits: a collision is not a practical concern
}

inline std::string Value(size_t bytes = kValueBytes) { return std::string(bytes, 'v'); }

// Reports items/s and bytes/s for a run whose every iteration handled items
// items made of bytes bytes.
inline void SetRates(benchmark::State& state, uint64_t items, uint64_t bytes) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(items));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

// A fresh directory under base, removed with its contents on destruction.
// base defaults to TMPDIR (else /tmp): a real disk on the usual machine.
class ScratchDir {
 public:
  explicit ScratchDir(const std::filesystem::path& base = std::filesystem::temp_directory_path()) {
    std::string pattern = (base / "cairn-micro-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw std::filesystem::filesystem_error("mkdtemp", pattern,
                                              std::error_code(errno, std::generic_category()));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // tmpfs, where syncs and writes never reach a disk.
  static std::filesystem::path InMemoryBase() {
    return std::filesystem::is_directory("/dev/shm") ? "/dev/shm"
                                                     : std::filesystem::temp_directory_path();
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cairn::bench
