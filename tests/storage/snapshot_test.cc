#include "storage/snapshot.h"

#include <gtest/gtest.h>

#include "storage/env.h"
#include "tests/common/temp_dir.h"

namespace cairn::storage {
namespace {

using test::TempDir;

std::vector<SnapshotEntry> SomeEntries() {
  return {{"", "empty key", 3},
          {std::string("\0nul", 4), std::string(1 << 20, '\xff'), 9},
          {"a\r\nb", "", 12}};
}

TEST(SnapshotTest, NamesRoundTrip) {
  uint32_t count = 0, index = 0;
  EXPECT_EQ(SnapshotFileName(8, 3), "snapshot-0008-0003.snap");
  EXPECT_TRUE(ParseSnapshotFileName("snapshot-0008-0003.snap", &count, &index));
  EXPECT_EQ(count, 8u);
  EXPECT_EQ(index, 3u);
  EXPECT_TRUE(ParseSnapshotFileName(SnapshotFileName(12345, 12344), &count, &index));
  EXPECT_FALSE(ParseSnapshotFileName("snapshot-0008-0008.snap", &count, &index));
  EXPECT_FALSE(ParseSnapshotFileName("snapshot-8-3.snap", &count, &index)) << "not canonical";
  EXPECT_FALSE(ParseSnapshotFileName("snapshot-0008-0003.snap.tmp", &count, &index));
  EXPECT_FALSE(ParseSnapshotFileName("snapshot-0000-0000.snap", &count, &index));
}

TEST(SnapshotTest, WriteThenReadRoundTrips) {
  TempDir dir;
  Env* env = Env::Default();
  const auto entries = SomeEntries();
  ASSERT_TRUE(WriteSnapshot(env, dir.path(), {8, 3, 77}, entries).ok());
  EXPECT_FALSE(env->FileExists(dir.file("snapshot-0008-0003.snap.tmp")));
  std::string contents;
  ASSERT_TRUE(ReadFileToString(env, dir.file("snapshot-0008-0003.snap"), &contents).ok());
  SnapshotInfo info;
  std::vector<SnapshotEntry> read;
  Status s =
      ReadSnapshot(contents, &info, [&](std::string_view k, std::string_view v, uint64_t ver) {
        read.push_back({std::string(k), std::string(v), ver});
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(info.shard_count, 8u);
  EXPECT_EQ(info.shard_index, 3u);
  EXPECT_EQ(info.covered_version, 77u);
  ASSERT_EQ(read.size(), entries.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].key, entries[i].key);
    EXPECT_EQ(read[i].value, entries[i].value);
    EXPECT_EQ(read[i].version, entries[i].version);
  }
}

TEST(SnapshotTest, EveryFlippedByteIsDetected) {
  TempDir dir;
  Env* env = Env::Default();
  std::vector<SnapshotEntry> entries = {{"k1", "v1", 1}, {"k2", "value two", 2}};
  ASSERT_TRUE(WriteSnapshot(env, dir.path(), {1, 0, 2}, entries).ok());
  std::string contents;
  ASSERT_TRUE(ReadFileToString(env, dir.file(SnapshotFileName(1, 0)), &contents).ok());
  for (size_t i = 0; i < contents.size(); ++i) {
    std::string damaged = contents;
    damaged[i] ^= 0x04;
    SnapshotInfo info;
    int visited = 0;
    Status s = ReadSnapshot(damaged, &info, [&](auto, auto, auto) { ++visited; });
    EXPECT_TRUE(s.IsCorruption()) << "flip at " << i;
    EXPECT_EQ(visited, 0) << "entries visited before the checksum was verified";
    EXPECT_NE(s.message().find("offset"), std::string::npos) << s.message();
  }
  for (size_t cut = 0; cut < contents.size(); ++cut) {
    SnapshotInfo info;
    EXPECT_FALSE(ReadSnapshot(contents.substr(0, cut), &info, [](auto, auto, auto) {}).ok());
  }
}

}  // namespace
}  // namespace cairn::storage
