// TempDir: a fresh directory under base (default: the system temp dir),
// removed with its contents when the object goes away. InMemory() puts it
// on /dev/shm where that exists, for tests that sync thousands of times.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace cairn::test {

class TempDir {
 public:
  explicit TempDir(std::filesystem::path base = std::filesystem::temp_directory_path()) {
    std::string pattern = (base / "cairn-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) ? pattern : "";
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  static std::filesystem::path InMemory() {
    return std::filesystem::is_directory("/dev/shm") ? "/dev/shm"
                                                     : std::filesystem::temp_directory_path();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace cairn::test
