#include "storage/db.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "db_test_util.h"
#include "storage/coding.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"
#include "tests/common/temp_dir.h"
#include "tests/storage/fault_env.h"

namespace cairn::storage {
namespace {

using test::TempDir;

using Code = MutationResult::Code;

class DbTest : public ::testing::Test {
 protected:
  std::unique_ptr<DB> Open() { return OpenOrDie(options_, dir_.path()); }
  std::vector<std::string> Files(const std::string& suffix) const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      if (e.path().string().ends_with(suffix)) names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir dir_;
  Options options_;
};

TEST_F(DbTest, ArbitraryBytesRoundTripAcrossRestart) {
  const std::string nasty("\0\r\n\xff\x01", 5);
  const std::string big(1 << 20, '\x00');
  {
    auto db = Open();
    EXPECT_EQ(PutOk(db.get(), nasty, nasty), 1u);
    EXPECT_EQ(PutOk(db.get(), "", ""), 2u);
    EXPECT_EQ(PutOk(db.get(), "big", big), 3u);
  }
  auto db = Open();
  auto v = db->Get(nasty);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value, nasty);
  EXPECT_EQ(v->version, 1u);
  ASSERT_TRUE(db->Get(""));
  EXPECT_EQ(db->Get("")->value, "");
  EXPECT_EQ(db->Get("big")->value, big);
  EXPECT_EQ(db->Stats().last_version, 3u);
}

TEST_F(DbTest, OverwriteAndDeleteSurviveRestartAndVersionsKeepGrowing) {
  {
    auto db = Open();
    PutOk(db.get(), "a", "1");
    PutOk(db.get(), "a", "2");
    PutOk(db.get(), "b", "x");
    EXPECT_EQ(CommitOne(db.get(), Mutation::Delete("b")).code, Code::kOk);
  }
  {
    auto db = Open();
    EXPECT_EQ(db->Get("a")->value, "2");
    EXPECT_EQ(db->Get("a")->version, 2u);
    EXPECT_FALSE(db->Get("b"));
    EXPECT_EQ(PutOk(db.get(), "c", "y"), 5u);
    uint64_t covered = 0;
    ASSERT_TRUE(db->Snapshot(&covered).ok());
    EXPECT_EQ(covered, 5u);
  }
  auto db = Open();
  EXPECT_FALSE(db->Get("b")) << "a deleted key came back from a snapshot";
  EXPECT_EQ(db->Get("c")->value, "y");
  EXPECT_EQ(PutOk(db.get(), "d", "z"), 6u);
}

TEST_F(DbTest, ConditionalCommandsFollowTheProtocol) {
  auto db = Open();
  EXPECT_EQ(CommitOne(db.get(), Mutation::Delete("absent")).code, Code::kNotFound);
  EXPECT_EQ(CommitOne(db.get(), Mutation::DeleteIfVersion("absent", 0)).code, Code::kNotFound);
  MutationResult r = CommitOne(db.get(), Mutation::DeleteIfVersion("absent", 3));
  EXPECT_EQ(r.code, Code::kVersionMismatch);
  EXPECT_EQ(r.current_version, 0u);

  r = CommitOne(db.get(), Mutation::Cas("k", 0, "first"));
  ASSERT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.version, 1u);
  r = CommitOne(db.get(), Mutation::Cas("k", 0, "again"));
  EXPECT_EQ(r.code, Code::kVersionMismatch);
  EXPECT_EQ(r.current_version, 1u);
  EXPECT_EQ(CommitOne(db.get(), Mutation::Cas("k", 1, "second")).version, 2u);
  r = CommitOne(db.get(), Mutation::DeleteIfVersion("k", 1));
  EXPECT_EQ(r.code, Code::kVersionMismatch);
  EXPECT_EQ(r.current_version, 2u);
  EXPECT_EQ(CommitOne(db.get(), Mutation::DeleteIfVersion("k", 2)).code, Code::kOk);
  EXPECT_FALSE(db->Get("k"));
  EXPECT_EQ(db->Stats().last_version, 3u) << "failed conditions must not take a version";
}

TEST_F(DbTest, IncrParsesChecksOverflowAndStoresDecimal) {
  auto db = Open();
  MutationResult r = CommitOne(db.get(), Mutation::Incr("n", 5));
  ASSERT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.value, "5");
  r = CommitOne(db.get(), Mutation::Incr("n", -7));
  EXPECT_EQ(r.value, "-2");
  EXPECT_EQ(db->Get("n")->value, "-2");
  PutOk(db.get(), "max", std::to_string(INT64_MAX));
  r = CommitOne(db.get(), Mutation::Incr("max", 1));
  EXPECT_EQ(r.code, Code::kTypeError);
  EXPECT_EQ(db->Get("max")->value, std::to_string(INT64_MAX));
  for (const char* bad : {"", "abc", "1.5", " 1", "+1", "-", "99999999999999999999", "1x"}) {
    PutOk(db.get(), "bad", bad);
    EXPECT_EQ(CommitOne(db.get(), Mutation::Incr("bad", 1)).code, Code::kTypeError) << bad;
  }
  PutOk(db.get(), "neg", "-0012");
  EXPECT_EQ(CommitOne(db.get(), Mutation::Incr("neg", 2)).value, "-10");
}

TEST_F(DbTest, GroupResolvesAgainstEarlierMutationsOfTheSameGroup) {
  auto db = Open();
  std::vector<Mutation> group;
  group.push_back(Mutation::Put("k", "1"));
  group.push_back(Mutation::Cas("k", 1, "2"));
  group.push_back(Mutation::Incr("k", 10));
  group.push_back(Mutation::DeleteIfVersion("k", 2));
  group.push_back(Mutation::DeleteIfVersion("k", 3));
  group.push_back(Mutation::Delete("k"));
  group.push_back(Mutation::Batch({{false, "x", "1"}, {true, "y", ""}, {false, "z", "3"}}));
  std::vector<MutationResult> results;
  db->Commit(group, &results);
  ASSERT_EQ(results.size(), group.size());
  EXPECT_EQ(results[0].version, 1u);
  EXPECT_EQ(results[1].version, 2u);
  EXPECT_EQ(results[2].value, "12");
  EXPECT_EQ(results[2].version, 3u);
  EXPECT_EQ(results[3].code, Code::kVersionMismatch);
  EXPECT_EQ(results[3].current_version, 3u);
  EXPECT_EQ(results[4].code, Code::kOk);
  EXPECT_EQ(results[5].code, Code::kNotFound);
  EXPECT_EQ(results[6].version, 5u);
  EXPECT_FALSE(db->Get("k"));
  EXPECT_EQ(db->Get("x")->version, 5u);
  EXPECT_EQ(db->Get("z")->version, 5u);
}

TEST_F(DbTest, ScanIsOrderedAcrossShardsAndPages) {
  options_.shards = 5;
  auto db = Open();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 300; ++i) {
    std::string key(1, static_cast<char>(i % 256));
    key += std::to_string(i);
    model[key] = "v" + std::to_string(i);
    PutOk(db.get(), key, model[key]);
  }
  EXPECT_EQ(Contents(*db), model);
  ScanResult page = db->Scan("\x80", "", 7, 1 << 20);
  ASSERT_EQ(page.entries.size(), 7u);
  EXPECT_TRUE(page.more);
  auto it = model.lower_bound("\x80");
  for (const auto& [k, v] : page.entries) {
    EXPECT_EQ(k, it->first) << "unsigned bytewise order";
    ++it;
  }
  page = db->Scan("1", "2", 1000, 1 << 20);
  EXPECT_FALSE(page.more);
  for (const auto& [k, v] : page.entries) EXPECT_TRUE(k >= "1" && k < "2");
  page = db->Scan("", "", 1000, 40);
  size_t bytes = 0;
  for (const auto& [k, v] : page.entries) bytes += k.size() + v.size();
  EXPECT_LE(bytes, 40u) << "byte budget bounds the page";
  EXPECT_GE(page.entries.size(), 3u);
  EXPECT_TRUE(page.more);
  page = db->Scan("", "", 1000, 1);
  EXPECT_EQ(page.entries.size(), 1u) << "one entry even over the budget";
}

TEST_F(DbTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto db = Open();
  std::unique_ptr<DB> second;
  Status s = DB::Open(options_, dir_.path(), &second);
  EXPECT_EQ(s.code(), Status::Code::kBusy);
  EXPECT_NE(s.message().find(dir_.path()), std::string::npos) << s.message();
}

TEST_F(DbTest, SegmentsRotateAndSnapshotsPruneThem) {
  options_.segment_bytes = 4096;
  {
    auto db = Open();
    for (int i = 0; i < 200; ++i)
      PutOk(db.get(), "k" + std::to_string(i % 50), std::string(100, 'x'));
    EXPECT_GT(Files(".wal").size(), 3u);
    uint64_t covered = 0;
    ASSERT_TRUE(db->Snapshot(&covered).ok());
    EXPECT_EQ(covered, 200u);
    EXPECT_EQ(Files(".wal").size(), 1u) << "covered segments are pruned";
    EXPECT_EQ(Files(".snap").size(), options_.shards);
    for (int i = 0; i < 30; ++i) PutOk(db.get(), "after" + std::to_string(i), "y");
  }
  auto db = Open();
  EXPECT_EQ(db->Stats().keys, 80u);
  EXPECT_EQ(db->Stats().last_version, 230u);
  EXPECT_EQ(db->Get("after29")->version, 230u);
}

TEST_F(DbTest, ReshardOnRestartReroutesKeys) {
  std::map<std::string, std::string> model;
  {
    options_.shards = 3;
    auto db = Open();
    for (int i = 0; i < 100; ++i) {
      model["k" + std::to_string(i)] = std::to_string(i);
      PutOk(db.get(), "k" + std::to_string(i), std::to_string(i));
    }
    uint64_t covered = 0;
    ASSERT_TRUE(db->Snapshot(&covered).ok());
    for (int i = 0; i < 100; i += 3) {
      model.erase("k" + std::to_string(i));
      EXPECT_EQ(CommitOne(db.get(), Mutation::Delete("k" + std::to_string(i))).code, Code::kOk);
    }
  }
  for (uint32_t shards : {7u, 1u, 16u}) {
    options_.shards = shards;
    auto db = Open();
    EXPECT_EQ(Contents(*db), model) << shards << " shards";
    EXPECT_EQ(Files(".snap").size(), shards) << "old layout replaced";
    PutOk(db.get(), "s" + std::to_string(shards), "1");
    model["s" + std::to_string(shards)] = "1";
  }
}

TEST_F(DbTest, TornTailIsCutAndStartupContinues) {
  {
    auto db = Open();
    for (int i = 0; i < 10; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
  }
  const std::string segment = Files(".wal").back();
  std::string clean;
  ASSERT_TRUE(ReadFileToString(Env::Default(), segment, &clean).ok());
  for (const std::string& tail : {std::string(7, '\0'), std::string("garbage!garbage!garbage!")}) {
    std::ofstream(segment, std::ios::trunc | std::ios::binary) << clean << tail;
    {
      auto db = Open();
      EXPECT_EQ(db->Stats().keys, 10u);
    }
    // Cut, then a group record from the open and one from the close.
    std::string now;
    ASSERT_TRUE(ReadFileToString(Env::Default(), segment, &now).ok());
    EXPECT_EQ(now.size(), clean.size() + 2 * kGroupRecordSize) << "tail cut on disk";
    EXPECT_EQ(now.substr(0, clean.size()), clean);
  }
  // Tear the last put, which the close's group record follows.
  std::ofstream(segment, std::ios::trunc | std::ios::binary)
      << clean.substr(0, clean.size() - kGroupRecordSize - 3);
  auto db = Open();
  EXPECT_EQ(db->Stats().keys, 9u);
  EXPECT_EQ(PutOk(db.get(), "new", "v"), 10u) << "the torn write's version is reused";
}

TEST_F(DbTest, BatchCutAtEveryByteIsAllOrNothing) {
  {
    auto db = Open();
    PutOk(db.get(), "before", "1");
  }
  const std::string segment = Files(".wal").back();
  const auto before_batch = std::filesystem::file_size(segment);
  {
    auto db = Open();
    std::vector<BatchOp> ops;
    for (int i = 0; i < 5; ++i) ops.push_back({false, "b" + std::to_string(i), "value"});
    ops.push_back({true, "before", ""});
    EXPECT_EQ(CommitOne(db.get(), Mutation::Batch(ops)).version, 2u);
  }
  const auto after_batch = std::filesystem::file_size(segment);
  // The close's group record follows the batch.
  const auto batch_end = after_batch - kGroupRecordSize;
  std::string full;
  ASSERT_TRUE(ReadFileToString(Env::Default(), segment, &full).ok());
  for (auto cut = before_batch; cut <= batch_end; ++cut) {
    {
      std::ofstream out(segment, std::ios::binary | std::ios::trunc);
      out.write(full.data(), static_cast<std::streamsize>(cut));
    }
    auto db = Open();
    ASSERT_TRUE(db) << "cut at " << cut;
    const bool whole = cut == batch_end;
    EXPECT_EQ(db->Stats().keys, whole ? 5u : 1u) << "cut at " << cut;
    EXPECT_EQ(db->Get("before").has_value(), !whole) << "cut at " << cut;
    EXPECT_EQ(db->Stats().last_version, whole ? 2u : 1u) << "cut at " << cut;
  }
}

TEST_F(DbTest, DamageInTheMiddleStopsStartupAndPointInTimeKeepsThePrefix) {
  {
    auto db = Open();
    for (int i = 0; i < 20; ++i) PutOk(db.get(), "k" + std::to_string(i), "value");
  }
  const std::string segment = Files(".wal").back();
  const auto size = std::filesystem::file_size(segment);
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x42');
  }
  std::unique_ptr<DB> db;
  Status s = DB::Open(options_, dir_.path(), &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(segment), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("offset"), std::string::npos) << s.message();
  EXPECT_EQ(std::filesystem::file_size(segment), size) << "strict recovery changes nothing";

  std::string report;
  EXPECT_TRUE(DB::Check(options_, dir_.path(), &report).IsCorruption());

  options_.recovery = RecoveryMode::kPointInTime;
  db = Open();
  ASSERT_TRUE(db);
  const uint64_t kept = db->Stats().keys;
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, 20u);
  EXPECT_EQ(PutOk(db.get(), "next", "v"), kept + 1);
  std::vector<std::string> aside;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/lost+found")) {
    aside.push_back(e.path().string());
  }
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(aside[0]), size) << "the damaged file is kept whole";
}

// Flips one bit of a record's version: the checksum no longer matches.
void FlipVersionBit(const std::string& file, uint64_t record_offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(record_offset + 13));
  const char c = static_cast<char>(f.get());
  f.seekp(static_cast<std::streamoff>(record_offset + 13));
  f.put(static_cast<char>(c ^ 0x20));
}

TEST_F(DbTest, FlippedFirstRecordOfTheNewestSegmentDoesNotHideOlderSegments) {
  options_.segment_bytes = 4096;
  int written = 0;
  {
    auto db = Open();
    // Fill the first segment until it rotates, then put one record into the
    // new one.
    while (Files(".wal").size() < 2) {
      PutOk(db.get(), "k" + std::to_string(written++), std::string(100, 'v'));
    }
    PutOk(db.get(), "k" + std::to_string(written++), std::string(100, 'v'));
  }
  // Its version now reads 1 or so: an unchecked peek at it would skip the
  // older segment as if snapshots covered it. It was synced, so strict mode
  // refuses; point-in-time keeps every record before it.
  FlipVersionBit(Files(".wal").back(), kSegmentHeaderSize);
  std::unique_ptr<DB> refused;
  EXPECT_TRUE(DB::Open(options_, dir_.path(), &refused).IsCorruption());
  options_.recovery = RecoveryMode::kPointInTime;
  auto db = Open();
  ASSERT_TRUE(db);
  EXPECT_EQ(db->Stats().keys, static_cast<uint64_t>(written - 1))
      << "only the records from the damage on may be lost";
}

// Where the data record of version starts in segment file, 0 if none.
uint64_t OffsetOfVersion(const std::string& file, uint64_t version) {
  std::string contents;
  EXPECT_TRUE(ReadFileToString(Env::Default(), file, &contents).ok());
  LogReader reader(contents);
  uint64_t number = 0;
  EXPECT_TRUE(reader.ReadHeader(&number).ok());
  LogRecord record;
  for (uint64_t start = reader.valid_bytes(); reader.Next(&record); start = reader.valid_bytes()) {
    if (!record.is_group && record.version == version) return start;
  }
  return 0;
}

TEST_F(DbTest, PointInTimeBelowTheSnapshotCoverLeavesALogStrictModeAccepts) {
  options_.shards = 1;
  FaultInjectionEnv env(Env::Default());
  {
    Options options = options_;
    options.env = &env;
    auto db = OpenOrDie(options, dir_.path());
    for (int i = 1; i <= 10; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
    // The snapshot cannot start a new segment, so the one it covers half of
    // stays.
    env.FailNextDirSync();
    uint64_t covered = 0;
    ASSERT_TRUE(db->Snapshot(&covered).ok());
    ASSERT_EQ(Files(".wal").size(), 1u);
    for (int i = 11; i <= 20; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
  }
  const std::string segment = Files(".wal").back();
  const uint64_t fifth = OffsetOfVersion(segment, 5);
  ASSERT_GT(fifth, 0u);
  FlipVersionBit(segment, fifth);
  std::unique_ptr<DB> db;
  EXPECT_TRUE(DB::Open(options_, dir_.path(), &db).IsCorruption());
  options_.recovery = RecoveryMode::kPointInTime;
  db = Open();
  ASSERT_TRUE(db);
  EXPECT_EQ(db->Stats().keys, 10u) << "the snapshot's state; the log after the damage is aside";
  EXPECT_EQ(PutOk(db.get(), "next", "v"), 11u);
  db.reset();
  options_.recovery = RecoveryMode::kStrict;
  db = Open();
  ASSERT_TRUE(db) << "the log point-in-time recovery left must open in strict mode";
  EXPECT_EQ(db->Get("next")->version, 11u);
  EXPECT_EQ(db->Stats().keys, 11u);
}

TEST_F(DbTest, DamageInAnOlderSegmentIsRefused) {
  options_.segment_bytes = 1024;
  {
    auto db = Open();
    for (int i = 0; i < 100; ++i) PutOk(db.get(), "k" + std::to_string(i), std::string(50, 'v'));
  }
  const auto segments = Files(".wal");
  ASSERT_GT(segments.size(), 2u);
  std::filesystem::resize_file(segments[0], std::filesystem::file_size(segments[0]) - 10);
  std::unique_ptr<DB> db;
  Status s = DB::Open(options_, dir_.path(), &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(segments[0]), std::string::npos) << s.message();
}

TEST_F(DbTest, MissingSegmentInTheMiddleIsRefused) {
  options_.segment_bytes = 1024;
  {
    auto db = Open();
    for (int i = 0; i < 100; ++i) PutOk(db.get(), "k" + std::to_string(i), std::string(50, 'v'));
  }
  const auto segments = Files(".wal");
  ASSERT_GT(segments.size(), 2u);
  std::filesystem::remove(segments[1]);
  std::unique_ptr<DB> db;
  Status s = DB::Open(options_, dir_.path(), &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
}

TEST_F(DbTest, DamagedSnapshotIsRefusedNamingTheFile) {
  {
    auto db = Open();
    PutOk(db.get(), "k", "v");
    uint64_t covered = 0;
    ASSERT_TRUE(db->Snapshot(&covered).ok());
  }
  const std::string snapshot = Files(".snap").front();
  std::filesystem::resize_file(snapshot, std::filesystem::file_size(snapshot) - 1);
  std::unique_ptr<DB> db;
  Status s = DB::Open(options_, dir_.path(), &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(snapshot), std::string::npos) << s.message();
}

TEST_F(DbTest, ZerosAfterTheLastRecordAreTheEndOfTheLog) {
  // What a crash leaves of the zeros the log writes ahead of its appends.
  {
    auto db = Open();
    for (int i = 0; i < 5; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
  }
  const std::string segment = Files(".wal").back();
  const auto size = std::filesystem::file_size(segment);
  std::ofstream(segment, std::ios::app | std::ios::binary) << std::string(100000, '\0');
  std::string report;
  ASSERT_TRUE(DB::Check(options_, dir_.path(), &report).ok());
  EXPECT_EQ(report.find("cut"), std::string::npos) << report;
  EXPECT_EQ(std::filesystem::file_size(segment), size + 100000) << "--check changes nothing";
  {
    auto db = Open();
    EXPECT_EQ(db->Stats().keys, 5u);
    EXPECT_EQ(std::filesystem::file_size(segment), size + kGroupRecordSize)
        << "appends (the open's group record first) must follow the last record";
    EXPECT_EQ(PutOk(db.get(), "after", "v"), 6u);
  }
  auto db = Open();
  EXPECT_EQ(db->Stats().keys, 6u);
  EXPECT_EQ(db->Get("after")->version, 6u);
}

TEST_F(DbTest, CheckReportsWithoutChangingAnything) {
  {
    auto db = Open();
    for (int i = 0; i < 5; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
  }
  const std::string segment = Files(".wal").back();
  std::ofstream(segment, std::ios::app | std::ios::binary) << std::string(9, 'x');
  const auto size = std::filesystem::file_size(segment);
  std::string report;
  Status s = DB::Check(options_, dir_.path(), &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_NE(report.find("would cut 9 bytes"), std::string::npos) << report;
  EXPECT_NE(report.find("recovered 5 keys"), std::string::npos) << report;
  EXPECT_EQ(std::filesystem::file_size(segment), size);
}

TEST_F(DbTest, CheckOfADirectoryThatNeverHeldDataIsNotFound) {
  std::string report;
  EXPECT_TRUE(DB::Check(options_, dir_.path(), &report).IsNotFound()) << "empty";
  EXPECT_TRUE(DB::Check(options_, dir_.file("missing"), &report).IsNotFound()) << "missing";
  { auto db = Open(); }  // a fresh store writes segment 1
  Status s = DB::Check(options_, dir_.path(), &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(DbTest, SnapshotNewerThanTheLogOpensAndVersionsContinue) {
  {
    auto db = Open();
    for (int i = 0; i < 10; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
    uint64_t covered = 0;
    ASSERT_TRUE(db->Snapshot(&covered).ok());
  }
  // The log no longer reaches the snapshots' version at all.
  for (const std::string& segment : Files(".wal")) std::filesystem::remove(segment);
  {
    auto db = Open();
    EXPECT_EQ(db->Stats().keys, 10u);
    EXPECT_EQ(PutOk(db.get(), "next", "v"), 11u) << "versions never repeat";
  }
  auto db = Open();
  EXPECT_EQ(db->Get("next")->version, 11u);
}

TEST_F(DbTest, EmptyExistingDataDirectoryOpensEmpty) {
  const std::string empty = dir_.file("empty");
  std::filesystem::create_directory(empty);
  auto db = OpenOrDie(options_, empty);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->Stats().keys, 0u);
  EXPECT_EQ(PutOk(db.get(), "k", "v"), 1u);
}

// A group of pipelined writes spans several pages; the power fails during its
// sync, and the disk kept a later page of it but not its first (writeback
// order is not file order). Nothing acknowledged is damaged: strict recovery
// must cut there, not refuse.
TEST_F(DbTest, LostFirstPageOfAnUnsyncedGroupIsATornTail) {
  std::string segment;
  uint64_t acked_end = 0;
  {
    auto db = Open();
    for (int i = 0; i < 300; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
    segment = Files(".wal").back();
    acked_end = db->Stats().log_bytes;
    std::vector<Mutation> burst;
    for (int i = 0; i < 12; ++i)
      burst.push_back(Mutation::Put("b" + std::to_string(i), std::string(1000, 'b')));
    std::vector<MutationResult> results;
    db->Commit(burst, &results);
  }
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), segment, &contents).ok());
  // What the crash left: no close after the burst, and the burst's first page
  // never written.
  contents.resize(contents.size() - kGroupRecordSize);
  const uint64_t page_end = (acked_end / 4096 + 1) * 4096;
  ASSERT_LT(page_end + 1000, contents.size()) << "the burst reaches past its first page";
  std::fill(contents.begin() + static_cast<ptrdiff_t>(acked_end),
            contents.begin() + static_cast<ptrdiff_t>(page_end), '\0');
  std::ofstream(segment, std::ios::trunc | std::ios::binary) << contents;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options_, dir_.path(), &db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(db->Stats().keys, 300u);
  EXPECT_EQ(PutOk(db.get(), "next", "v"), 301u);
}

// Damage that a later group record says was synced is refused, even at the
// end of the newest segment.
TEST_F(DbTest, DamageBeforeADurableClaimIsRefused) {
  {
    auto db = Open();
    for (int i = 0; i < 10; ++i) PutOk(db.get(), "k" + std::to_string(i), "v");
  }
  const std::string segment = Files(".wal").back();
  const uint64_t ninth = OffsetOfVersion(segment, 9);
  ASSERT_GT(ninth, 0u);
  FlipVersionBit(segment, ninth);
  std::unique_ptr<DB> db;
  Status s = DB::Open(options_, dir_.path(), &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

// SNAPSHOT leaves the log it covers prunable: disk use falls to about the
// live data even when everything was in the active segment.
TEST_F(DbTest, SnapshotPrunesTheLogItCovers) {
  auto db = Open();
  for (int i = 0; i < 20000; ++i)
    PutOk(db.get(), "hot" + std::to_string(i % 10), std::string(100, 'v'));
  const uint64_t before = db->Stats().log_bytes;
  uint64_t covered = 0;
  ASSERT_TRUE(db->Snapshot(&covered).ok());
  EXPECT_EQ(covered, 20000u);
  const uint64_t after = db->Stats().log_bytes;
  EXPECT_GT(before, 2'000'000u);
  EXPECT_LT(after, 1000u) << "the log the snapshot covers is still there";
  EXPECT_EQ(Files(".wal").size(), 1u);
  db.reset();
  db = Open();
  EXPECT_EQ(db->Stats().keys, 10u);
  EXPECT_EQ(db->Get("hot9")->version, 20000u);
}

// Reads the sizes recovery asks of sequential files.
class ReadSizeEnv final : public Env {
 public:
  uint64_t largest_read() const { return largest_read_; }

  Status NewSequentialFile(const std::string& f, std::unique_ptr<SequentialFile>* r) override {
    std::unique_ptr<SequentialFile> file;
    Status s = base_->NewSequentialFile(f, &file);
    if (s.ok()) *r = std::make_unique<Counted>(std::move(file), &largest_read_);
    return s;
  }
  Status NewWritableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override {
    return base_->NewWritableFile(f, r);
  }
  Status NewAppendableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override {
    return base_->NewAppendableFile(f, r);
  }
  bool FileExists(const std::string& f) override { return base_->FileExists(f); }
  Status GetChildren(const std::string& d, std::vector<std::string>* r) override {
    return base_->GetChildren(d, r);
  }
  Status GetFileSize(const std::string& f, uint64_t* s) override {
    return base_->GetFileSize(f, s);
  }
  Status RemoveFile(const std::string& f) override { return base_->RemoveFile(f); }
  Status RenameFile(const std::string& a, const std::string& b) override {
    return base_->RenameFile(a, b);
  }
  Status CreateDir(const std::string& d) override { return base_->CreateDir(d); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status TruncateFile(const std::string& f, uint64_t s) override {
    return base_->TruncateFile(f, s);
  }
  Status LockFile(const std::string& f, std::unique_ptr<FileLock>* l) override {
    return base_->LockFile(f, l);
  }

 private:
  class Counted final : public SequentialFile {
   public:
    Counted(std::unique_ptr<SequentialFile> file, uint64_t* largest)
        : file_(std::move(file)), largest_(largest) {}
    Status Read(size_t n, std::string* scratch, std::string_view* result) override {
      *largest_ = std::max<uint64_t>(*largest_, n);
      return file_->Read(n, scratch, result);
    }

   private:
    std::unique_ptr<SequentialFile> file_;
    uint64_t* largest_;
  };

  Env* const base_ = Env::Default();
  uint64_t largest_read_ = 0;
};

TEST_F(DbTest, DamagedLengthInASegmentsFirstRecordAllocatesNoMoreThanTheFile) {
  options_.segment_bytes = 4096;
  {
    auto db = Open();
    for (int i = 0; i < 100; ++i) PutOk(db.get(), "k" + std::to_string(i), std::string(100, 'v'));
  }
  const std::vector<std::string> segments = Files(".wal");
  ASSERT_GE(segments.size(), 2u);
  {
    // The first record's length field: almost 1 GiB.
    std::fstream f(segments.back(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(kSegmentHeaderSize + 8));
    const char length[4] = {0, 0, 0, 0x3f};
    f.write(length, 4);
  }
  ReadSizeEnv env;
  options_.env = &env;
  options_.recovery = RecoveryMode::kPointInTime;
  auto db = Open();
  // Whole files are read in chunks of 64 KiB; the damaged length asks for
  // about 1 GiB.
  EXPECT_LE(env.largest_read(), 64u << 10) << "recovery asked for more bytes than the file holds";
}

// A data directory written before group records existed (log format 1)
// still opens; new records go to a new segment of the current format.
TEST_F(DbTest, FormatOneLogOpensAndNewRecordsGoToANewSegment) {
  std::string segment(kLogMagic);
  PutFixed32(&segment, 1);
  PutFixed32(&segment, 0);
  PutFixed64(&segment, 1);
  PutFixed64(&segment, Checksum(segment));
  AppendLogRecord(&segment, 1, {{false, "a", "1"}});
  AppendLogRecord(&segment, 2, {{false, "b", "2"}});
  AppendLogRecord(&segment, 3, {{true, "a", ""}});
  std::ofstream(dir_.file(SegmentFileName(1)), std::ios::binary) << segment;
  {
    auto db = Open();
    ASSERT_TRUE(db);
    EXPECT_EQ(db->Stats().keys, 1u);
    EXPECT_EQ(db->Get("b")->version, 2u);
    EXPECT_EQ(PutOk(db.get(), "c", "3"), 4u);
  }
  std::string old;
  ASSERT_TRUE(ReadFileToString(Env::Default(), dir_.file(SegmentFileName(1)), &old).ok());
  EXPECT_EQ(old, segment) << "the format 1 segment is left as it was";
  EXPECT_EQ(Files(".wal").size(), 2u);
  auto db = Open();
  EXPECT_EQ(db->Stats().keys, 2u);
  EXPECT_EQ(db->Get("c")->version, 4u);
}

TEST_F(DbTest, DataDirectoryThatIsAFileIsRefused) {
  const std::string path = dir_.file("plain-file");
  std::ofstream(path) << "x";
  std::unique_ptr<DB> db;
  Status s = DB::Open(options_, path, &db);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

}  // namespace
}  // namespace cairn::storage
