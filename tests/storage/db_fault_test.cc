// The DB under injected faults: power cuts at every write and sync boundary,
// failed syncs, failed and torn writes, full disks.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <random>

#include "db_test_util.h"
#include "model.h"
#include "storage/db.h"
#include "storage/log_format.h"
#include "tests/common/temp_dir.h"
#include "tests/storage/fault_env.h"

namespace cairn::storage {
namespace {

using test::TempDir;

using Code = MutationResult::Code;

// A scripted workload touching every durable step: appends of every record
// type, segment rotation (small segments), snapshots with pruning.
class Workload {
 public:
  // Runs until a commit fails or the script ends; returns false if it failed.
  bool Run(DB* db, CrashModel* model) {
    for (int step = 0; step < 40; ++step) {
      std::vector<Mutation> group = Group(step);
      std::vector<MutationResult> results;
      db->Commit(group, &results);
      model->Record(group, results);
      for (const MutationResult& r : results) {
        if (r.code == Code::kIoError || r.code == Code::kReadOnly) return false;
      }
      if (step % 9 == 8) {
        uint64_t covered = 0;
        if (!db->Snapshot(&covered).ok()) return false;
      }
    }
    return true;
  }

 private:
  static std::vector<Mutation> Group(int step) {
    const std::string k = "key" + std::to_string(step % 7);
    const std::string value(150 + step, static_cast<char>('a' + step % 26));
    switch (step % 5) {
      case 0:
        return {Mutation::Put(k, value)};
      case 1:
        return {Mutation::Batch({{false, k, value}, {false, "batch-a", value}, {true, "key0", ""}}),
                Mutation::Incr("counter", step)};
      case 2:
        return {Mutation::Delete("key" + std::to_string((step + 3) % 7)), Mutation::Put(k, "v")};
      case 3:
        return {Mutation::Cas(k, 0, value), Mutation::Put("x" + k, value)};
      default:
        return {Mutation::Incr("counter", -1)};
    }
  }
};

// Small segments so that the workload rotates them.
Options FaultOptions(Env* env) {
  Options options;
  options.env = env;
  options.shards = 3;
  options.segment_bytes = 4096;
  return options;
}

class DbFaultTest : public ::testing::Test {
 protected:
  DbFaultTest() : dir_(TempDir::InMemory()), env_(Env::Default()), options_(FaultOptions(&env_)) {}

  std::unique_ptr<DB> Open() { return OpenOrDie(options_, dir_.path()); }

  TempDir dir_;
  FaultInjectionEnv env_;
  Options options_;
};

TEST(DbPowerCutTest, PowerCutAtEveryBoundaryRecoversExactlyTheAcknowledgedState) {
  int64_t total_ops = 0;
  {
    // Count the workload's mutating operations.
    TempDir dir(TempDir::InMemory());
    FaultInjectionEnv env(Env::Default());
    const Options options = FaultOptions(&env);
    auto db = OpenOrDie(options, dir.path());
    const int64_t before = env.mutating_op_count();
    CrashModel model;
    ASSERT_TRUE(Workload().Run(db.get(), &model));
    total_ops = env.mutating_op_count() - before;
  }
  ASSERT_GT(total_ops, 100);
  int crashes = 0;
  for (int64_t n = 0; n <= total_ops; ++n) {
    for (uint64_t torn_bytes : {0u, 37u}) {
      TempDir dir(TempDir::InMemory());
      FaultInjectionEnv env(Env::Default());
      const Options options = FaultOptions(&env);
      CrashModel model;
      {
        auto db = OpenOrDie(options, dir.path());
        env.SetCrashAfterOps(n);
        Workload().Run(db.get(), &model);
      }
      crashes += env.crashed();
      ASSERT_TRUE(env.DropUnsyncedData(torn_bytes).ok());
      std::unique_ptr<DB> db;
      Status s = DB::Open(options, dir.path(), &db);
      ASSERT_TRUE(s.ok()) << "crash after " << n << " ops, torn " << torn_bytes << ": "
                          << s.ToString();
      ASSERT_NO_FATAL_FAILURE(model.CheckRecovered(*db)) << "crash after " << n << " ops";
      // The recovered store takes writes again, and they survive.
      const uint64_t next = PutOk(db.get(), "after-crash", "yes");
      EXPECT_EQ(next, model.last_version() + 1);
    }
  }
  EXPECT_GT(crashes, 0);
  std::printf("power cut: %lld crash points x 2 tail shapes checked\n",
              static_cast<long long>(total_ops + 1));
}

TEST_F(DbFaultTest, FailedSyncIsNeverAppliedAndMakesTheStoreReadOnly) {
  auto db = Open();
  PutOk(db.get(), "before", "1");
  env_.FailNextSync();
  MutationResult r = CommitOne(db.get(), Mutation::Put("lost", "x"));
  EXPECT_EQ(r.code, Code::kIoError);
  EXPECT_FALSE(db->Get("lost")) << "a write whose sync failed was applied";
  EXPECT_TRUE(db->read_only());
  r = CommitOne(db.get(), Mutation::Put("later", "y"));
  EXPECT_EQ(r.code, Code::kReadOnly);
  EXPECT_EQ(db->Get("before")->value, "1") << "reads keep working";
  db.reset();
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  db = Open();
  EXPECT_EQ(db->Get("before")->value, "1");
  EXPECT_FALSE(db->Get("lost"));
  EXPECT_FALSE(db->Get("later"));
  EXPECT_EQ(PutOk(db.get(), "again", "z"), 2u) << "failed writes took no version";
}

TEST_F(DbFaultTest, FullDiskFailsTheWriteCutsTheLogBackAndRecovers) {
  auto db = Open();
  PutOk(db.get(), "small", "1");
  env_.SetSpaceLimit(env_.used_bytes() + 100);
  // Bigger than the zeros the log wrote ahead: it needs new space.
  const std::string big(200 << 10, 'b');
  MutationResult r = CommitOne(db.get(), Mutation::Put("big", big));
  EXPECT_EQ(r.code, Code::kIoError);
  EXPECT_NE(r.message.find("space"), std::string::npos) << r.message;
  EXPECT_FALSE(db->Get("big"));
  EXPECT_FALSE(db->read_only()) << "ENOSPC is not a reason to stop writing for good";
  EXPECT_EQ(PutOk(db.get(), "fits", "2"), 2u);
  env_.ClearSpaceLimit();
  EXPECT_EQ(PutOk(db.get(), "big", big), 3u);
  db.reset();
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  db = Open();
  EXPECT_EQ(db->Stats().keys, 3u);
  EXPECT_EQ(db->Get("big")->version, 3u);
}

TEST_F(DbFaultTest, TornWriteIsCutBackAndTheNextWriteSucceeds) {
  auto db = Open();
  PutOk(db.get(), "a", "1");
  env_.set_partial_write(true);
  env_.FailNextWrite();
  EXPECT_EQ(CommitOne(db.get(), Mutation::Put("torn", std::string(500, 't'))).code, Code::kIoError);
  EXPECT_EQ(PutOk(db.get(), "b", "2"), 2u);
  db.reset();
  db = Open();  // no power cut: the half-written record must not be read back
  EXPECT_EQ(db->Stats().keys, 2u);
  EXPECT_FALSE(db->Get("torn"));
}

TEST_F(DbFaultTest, SnapshotOnAFullDiskFailsCleanlyAndKeepsTheOldState) {
  auto db = Open();
  for (int i = 0; i < 50; ++i) PutOk(db.get(), "k" + std::to_string(i), std::string(100, 'v'));
  uint64_t covered = 0;
  ASSERT_TRUE(db->Snapshot(&covered).ok());
  for (int i = 0; i < 50; ++i) PutOk(db.get(), "k" + std::to_string(i), std::string(100, 'w'));
  env_.SetSpaceLimit(env_.used_bytes() + 1000);
  EXPECT_TRUE(db->Snapshot(&covered).IsNoSpace());
  env_.ClearSpaceLimit();
  db.reset();
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  db = Open();
  EXPECT_EQ(db->Stats().keys, 50u);
  EXPECT_EQ(db->Get("k49")->value, std::string(100, 'w'));
}

TEST_F(DbFaultTest, SnapshotCrashAtEveryStepKeepsEveryWrite) {
  int64_t steps = 0;
  for (int64_t n = 0; steps == 0 || n <= steps; ++n) {
    TempDir dir(TempDir::InMemory());
    FaultInjectionEnv env(Env::Default());
    const Options options = FaultOptions(&env);
    CrashModel model;
    uint64_t covered = 0;
    bool snapshot_ok = false;
    {
      auto db = OpenOrDie(options, dir.path());
      ASSERT_TRUE(Workload().Run(db.get(), &model));
      PutOk(db.get(), "last", "write");  // so the final snapshot covers more than the last one
      model.Record({Mutation::Put("last", "write")},
                   {MutationResult{Code::kOk, model.last_version() + 1, 0, "", ""}});
      const int64_t before = env.mutating_op_count();
      env.SetCrashAfterOps(n);
      snapshot_ok = db->Snapshot(&covered).ok();
      if (steps == 0 && snapshot_ok) steps = env.mutating_op_count() - before;
    }
    ASSERT_TRUE(env.DropUnsyncedData().ok());
    auto db = OpenOrDie(options, dir.path());
    ASSERT_TRUE(db) << "crash after " << n << " snapshot steps";
    ASSERT_NO_FATAL_FAILURE(model.CheckRecovered(*db)) << "crash after " << n << " steps";
    if (snapshot_ok) {
      EXPECT_EQ(db->Stats().snapshot_version, covered)
          << "a snapshot that returned OK did not survive the power cut";
    }
  }
  EXPECT_GT(steps, 8) << "a snapshot writes, syncs and renames every shard's file";
}

// A crash without a power cut leaves unsynced writes in the page cache, and
// recovery reads them; they must reach the disk before they are served, or a
// later power cut takes back what clients already read.
TEST_F(DbFaultTest, RecoveredWritesAreOnDiskBeforeTheyAreServed) {
  options_.sync_policy = SyncPolicy::kNone;
  {
    auto db = Open();
    for (int i = 0; i < 20; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
    env_.SetCrashAfterOps(0);  // the process dies: the close writes nothing
  }
  env_.SetCrashAfterOps(std::numeric_limits<int64_t>::max());
  // Without zeros after the records recovery cuts nothing, and its cut
  // (which syncs) does not hide the question.
  const std::string segment = dir_.file(SegmentFileName(1));
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), segment, &contents).ok());
  std::filesystem::resize_file(segment, contents.find_last_not_of('\0') + 1);
  auto db = Open();
  ASSERT_EQ(db->Stats().keys, 20u) << "the page cache still held them";
  env_.SetCrashAfterOps(0);  // the power fails while they are served
  db.reset();
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  db = Open();
  EXPECT_EQ(db->Stats().keys, 20u) << "writes served after the restart were lost to a power cut";
}

// Under the policies that do not sync every commit, a power cut may take
// acknowledged writes; their versions must not be handed out again, or a
// client's CAS on a version it saw could succeed against another value.
TEST_F(DbFaultTest, VersionsAreNeverHandedOutTwiceAfterAPowerCut) {
  for (SyncPolicy policy : {SyncPolicy::kNone, SyncPolicy::kPeriodic}) {
    TempDir dir(TempDir::InMemory());
    FaultInjectionEnv env(Env::Default());
    Options options = FaultOptions(&env);
    options.sync_policy = policy;
    options.sync_period = std::chrono::hours(1);
    uint64_t seen = 0;
    {
      auto db = OpenOrDie(options, dir.path());
      for (int i = 0; i < 5; ++i) seen = PutOk(db.get(), "k", "before-" + std::to_string(i));
      env.SetCrashAfterOps(0);
    }
    ASSERT_TRUE(env.DropUnsyncedData().ok());
    auto db = OpenOrDie(options, dir.path());
    const MutationResult r = CommitOne(db.get(), Mutation::Put("k", "after"));
    ASSERT_EQ(r.code, Code::kOk);
    EXPECT_GT(r.version, seen) << "version " << r.version << " was handed out before the crash";
    const MutationResult cas = CommitOne(db.get(), Mutation::Cas("k", seen, "stale"));
    EXPECT_EQ(cas.code, Code::kVersionMismatch) << "a CAS on a lost write's version succeeded";
  }
}

}  // namespace
}  // namespace cairn::storage
