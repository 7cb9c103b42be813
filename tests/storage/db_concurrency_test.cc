// The DB's threading contract under load: one writer committing groups while
// other threads read, scan and snapshot. Run under ThreadSanitizer in CI
// (scripts/test.sh, -DCAIRN_TSAN=ON) to catch data races; here it checks
// that readers never see a value that was not written and that everything
// survives a reopen.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "db_test_util.h"
#include "storage/db.h"
#include "tests/common/temp_dir.h"

namespace cairn::storage {
namespace {

using test::TempDir;

TEST(DbConcurrencyTest, ReadsScansAndSnapshotsBesideTheWriter) {
  TempDir dir(TempDir::InMemory());
  Options options;
  options.shards = 4;
  options.segment_bytes = 16 << 10;
  constexpr int kGroups = 400;
  constexpr int kKeys = 50;
  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0}, snapshots{0}, scans{0};
  {
    auto db = OpenOrDie(options, dir.path());
    ASSERT_TRUE(db);
    // Every value written for key k is "k:<n>", so a reader can tell a real
    // value from garbage.
    auto writer = std::thread([&] {
      for (int g = 0; g < kGroups; ++g) {
        if (g == kGroups / 2) {
          // Make sure the other threads really ran beside the writer, however
          // the scheduler ordered them.
          while (snapshots.load() == 0 || scans.load() == 0) std::this_thread::yield();
        }
        std::vector<Mutation> group;
        for (int i = 0; i < 4; ++i) {
          const int k = (g * 7 + i) % kKeys;
          group.push_back(Mutation::Put("key" + std::to_string(k),
                                        std::to_string(k) + ":" + std::to_string(g)));
        }
        group.push_back(Mutation::Batch(
            {{false, "pair-a", std::to_string(g)}, {false, "pair-b", std::to_string(g)}}));
        std::vector<MutationResult> results;
        db->Commit(group, &results);
      }
      done = true;
    });
    auto reader = std::thread([&] {
      while (!done) {
        for (int k = 0; k < kKeys; ++k) {
          auto v = db->Get("key" + std::to_string(k));
          if (v && v->value.rfind(std::to_string(k) + ":", 0) != 0) ++bad_reads;
        }
        ScanResult page = db->Scan("key", "kez", 1000, 1 << 20);
        for (size_t i = 1; i < page.entries.size(); ++i) {
          if (!(page.entries[i - 1].first < page.entries[i].first)) ++bad_reads;
        }
        ++scans;
      }
    });
    auto snapshotter = std::thread([&] {
      while (!done) {
        uint64_t covered = 0;
        if (db->Snapshot(&covered).ok()) ++snapshots;
        (void)db->Stats();
      }
    });
    writer.join();
    reader.join();
    snapshotter.join();
    EXPECT_EQ(bad_reads.load(), 0);
    EXPECT_GT(snapshots.load(), 0);
    EXPECT_GT(scans.load(), 0);
    EXPECT_EQ(db->Stats().last_version, static_cast<uint64_t>(kGroups) * 5);
  }
  auto db = OpenOrDie(options, dir.path());
  ASSERT_TRUE(db);
  EXPECT_EQ(db->Stats().last_version, static_cast<uint64_t>(kGroups) * 5);
  EXPECT_EQ(db->Get("pair-a")->value, std::to_string(kGroups - 1));
  EXPECT_EQ(db->Get("pair-b")->value, std::to_string(kGroups - 1));
  EXPECT_EQ(db->Stats().keys, static_cast<uint64_t>(kKeys) + 2);
}

}  // namespace
}  // namespace cairn::storage
