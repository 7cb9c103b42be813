// Tests of FaultInjectionEnv: its power-cut model and each injected fault,
// checked against the real files underneath.
#include "tests/storage/fault_env.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/env.h"
#include "storage/status.h"
#include "tests/common/temp_dir.h"

namespace cairn::storage {
namespace {

using test::TempDir;

constexpr char kMissing[] = "<missing>";

class FaultEnvTest : public testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.file(name); }

  std::unique_ptr<WritableFile> Create(const std::string& name) {
    std::unique_ptr<WritableFile> file;
    const Status s = env_.NewWritableFile(Path(name), &file);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return file;
  }

  // A file whose data and directory entry are both durable.
  void CreateDurable(const std::string& name, std::string_view contents) {
    std::unique_ptr<WritableFile> file = Create(name);
    ASSERT_TRUE(file->Append(contents).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
    ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  }

  // What is on disk, read past the env under test.
  std::string Contents(const std::string& name) {
    if (!Env::Default()->FileExists(Path(name))) return kMissing;
    std::string contents;
    const Status s = ReadFileToString(Env::Default(), Path(name), &contents);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return contents;
  }

  void PowerCut(uint64_t keep_unsynced_bytes = 0) {
    const Status s = env_.DropUnsyncedData(keep_unsynced_bytes);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void RandomPowerCut(uint64_t seed) {
    const Status s = env_.PowerCut(seed);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::unique_ptr<WritableFile> Reopen(const std::string& name) {
    std::unique_ptr<WritableFile> file;
    const Status s = env_.NewAppendableFile(Path(name), &file);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return file;
  }

  // Removes name for good, so that the cuts of later rounds skip it.
  void RemoveDurably(const std::string& name) {
    if (!env_.FileExists(Path(name))) return;
    ASSERT_TRUE(env_.RemoveFile(Path(name)).ok());
    ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  }

  TempDir dir_;
  FaultInjectionEnv env_{Env::Default()};
};

// --- File data ---

TEST_F(FaultEnvTest, UnsyncedBytesDroppedSyncedKept) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("def").ok());
  EXPECT_EQ(Contents("f"), "abcdef");
  PowerCut();
  EXPECT_EQ(Contents("f"), "abc");
}

TEST_F(FaultEnvTest, NeverSyncedFileKeepsNothing) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), "");
}

TEST_F(FaultEnvTest, KeepUnsyncedBytesLeavesTornTail) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("defgh").ok());
  PowerCut(/*keep_unsynced_bytes=*/2);
  EXPECT_EQ(Contents("f"), "abcde");
}

TEST_F(FaultEnvTest, AppendableFileContinuesSyncState) {
  CreateDurable("f", "abc");
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewAppendableFile(Path("f"), &file).ok());
  EXPECT_EQ(file->Size(), 3u);
  ASSERT_TRUE(file->Append("def").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("ghi").ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), "abcdef");
}

TEST_F(FaultEnvTest, UnsyncedTruncationCanComeBackSyncedOneCannot) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("abcdef").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Truncate(2).ok());
  ASSERT_TRUE(file->Append("xy").ok());
  EXPECT_EQ(Contents("f"), "abxy");
  PowerCut();
  EXPECT_EQ(Contents("f"), "abcdef") << "the truncation was never synced";

  bool saw_back = false, saw_cut = false;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    const std::string name = "t" + std::to_string(seed);
    CreateDurable(name, "0123456789");
    ASSERT_TRUE(Reopen(name)->Truncate(4).ok());
    RandomPowerCut(seed);
    const std::string c = Contents(name);
    EXPECT_TRUE(c == "0123456789" || c == "0123" || c == std::string("0123\0\0\0\0\0\0", 10))
        << "seed " << seed << ": " << c;
    saw_back |= c == "0123456789";
    saw_cut |= c == "0123";
    RemoveDurably(name);
  }
  EXPECT_TRUE(saw_back);
  EXPECT_TRUE(saw_cut);

  for (uint64_t seed = 0; seed < 16; ++seed) {
    const std::string name = "s" + std::to_string(seed);
    CreateDurable(name, "0123456789");
    std::unique_ptr<WritableFile> synced = Reopen(name);
    ASSERT_TRUE(synced->Truncate(4).ok());
    ASSERT_TRUE(synced->Sync().ok());
    CreateDurable("g" + std::to_string(seed), "0123456789");
    ASSERT_TRUE(env_.TruncateFile(Path("g" + std::to_string(seed)), 4).ok());
    RandomPowerCut(seed);
    EXPECT_EQ(Contents(name), "0123") << "seed " << seed;
    EXPECT_EQ(Contents("g" + std::to_string(seed)), "0123") << "seed " << seed;
    RemoveDurably(name);
    RemoveDurably("g" + std::to_string(seed));
  }
}

TEST_F(FaultEnvTest, TruncateFileSyncsWhatItKeeps) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("defgh").ok());
  ASSERT_TRUE(file->Close().ok());
  ASSERT_TRUE(env_.TruncateFile(Path("f"), 5).ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), "abcde");
}

TEST_F(FaultEnvTest, RecreatingDurableFileIsUndoneUntilSynced) {
  CreateDurable("f", "old");
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("new").ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), "old") << "creating over a file truncates it, and that was not synced";

  file = Create("f");
  ASSERT_TRUE(file->Append("new").ok());
  ASSERT_TRUE(file->Sync().ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), "new");
}

// A page of each letter, n pages: "aaa...bbb...".
std::string Pages(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += std::string(4096, static_cast<char>('a' + i));
  return s;
}

TEST_F(FaultEnvTest, PowerCutCanKeepALaterPageButNotAnEarlierOne) {
  const std::string data = Pages(3);
  bool found = false;
  for (uint64_t seed = 0; seed < 200 && !found; ++seed) {
    const std::string name = "f" + std::to_string(seed);
    CreateDurable(name, "");
    ASSERT_TRUE(Reopen(name)->Append(data).ok());
    RandomPowerCut(seed);
    const std::string c = Contents(name);
    if (c.size() == data.size() && c.substr(8192) == data.substr(8192) &&
        c.substr(4096, 4096) != data.substr(4096, 4096)) {
      found = true;
      EXPECT_EQ(c.substr(4096, 4096), std::string(4096, '\0')) << "seed " << seed;
    }
    RemoveDurably(name);
  }
  EXPECT_TRUE(found) << "no seed kept the third page without the second";
}

TEST_F(FaultEnvTest, KeptBytesAreTheWrittenOnesOrTheOldOnes) {
  const std::string old(2 * 4096 + 100, 'o');
  std::string written;
  for (int i = 0; i < 3 * 4096; ++i) written += static_cast<char>('A' + i % 26);
  constexpr uint64_t kCut = 1000;
  bool saw_old = false, saw_new = false;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const std::string name = "f" + std::to_string(seed);
    CreateDurable(name, old);
    std::unique_ptr<WritableFile> file = Reopen(name);
    ASSERT_TRUE(file->Truncate(kCut).ok());
    for (size_t at = 0; at < written.size(); at += 1500) {
      ASSERT_TRUE(file->Append(written.substr(at, 1500)).ok());
    }
    RandomPowerCut(seed);
    const std::string c = Contents(name);
    for (size_t i = 0; i < c.size(); ++i) {
      const bool is_old = i < old.size() && c[i] == old[i];
      const bool is_new = i >= kCut && i - kCut < written.size() && c[i] == written[i - kCut];
      saw_old |= is_old && i >= kCut;
      saw_new |= is_new;
      ASSERT_TRUE(is_old || is_new || c[i] == '\0') << "seed " << seed << ", byte " << i;
    }
    RemoveDurably(name);
  }
  EXPECT_TRUE(saw_old);
  EXPECT_TRUE(saw_new);
}

TEST_F(FaultEnvTest, SizeAfterCutIsOneOfTheSizesTheFileHad) {
  const std::set<uint64_t> sizes = {100, 150, 20, 4020, 9000};
  std::set<uint64_t> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const std::string name = "f" + std::to_string(seed);
    CreateDurable(name, std::string(100, 'x'));
    std::unique_ptr<WritableFile> file = Reopen(name);
    ASSERT_TRUE(file->Append(std::string(50, 'y')).ok());    // 150
    ASSERT_TRUE(file->Truncate(20).ok());                    // 20
    ASSERT_TRUE(file->Append(std::string(4000, 'z')).ok());  // 4020
    ASSERT_TRUE(file->ZeroExtend(9000).ok());                // 9000
    ASSERT_TRUE(file->Append(std::string(10, 'w')).ok());    // 9000: lands on the zeros
    RandomPowerCut(seed);
    const uint64_t size = Contents(name).size();
    EXPECT_TRUE(sizes.contains(size)) << "seed " << seed << ": " << size;
    seen.insert(size);
    RemoveDurably(name);
  }
  EXPECT_EQ(seen, sizes) << "every size the file had is a possible outcome";
}

TEST_F(FaultEnvTest, FailedSyncLosesItsPagesEvenAfterALaterSync) {
  const std::string data = Pages(2);
  const std::string tail(100, 'z');
  bool lost = false;
  for (uint64_t seed = 0; seed < 100 && !lost; ++seed) {
    FaultInjectionEnv env(Env::Default(), seed);
    const std::string name = "f" + std::to_string(seed);
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env.NewWritableFile(Path(name), &file).ok());
    ASSERT_TRUE(env.SyncDir(dir_.path()).ok());
    ASSERT_TRUE(file->Append(data).ok());
    env.FailNextSync();
    ASSERT_FALSE(file->Sync().ok());
    ASSERT_TRUE(file->Append(tail).ok());
    EXPECT_EQ(Contents(name), data + tail) << "the process still reads what it wrote";
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(env.DropUnsyncedData().ok());
    const std::string c = Contents(name);
    ASSERT_EQ(c.size(), data.size() + tail.size()) << "seed " << seed;
    EXPECT_EQ(c.substr(data.size()), tail) << "seed " << seed;
    for (size_t page = 0; page < 2; ++page) {
      const std::string got = c.substr(page * 4096, 4096);
      EXPECT_TRUE(got == data.substr(page * 4096, 4096) || got == std::string(4096, '\0'))
          << "seed " << seed << ", page " << page;
      lost |= got != data.substr(page * 4096, 4096);
    }
  }
  EXPECT_TRUE(lost) << "no seed lost a page of the failed sync";
}

TEST_F(FaultEnvTest, DropUnsyncedDataIsExactlyTheDurableImage) {
  std::string x;
  for (int i = 0; i < 10000; ++i) x += static_cast<char>('a' + i % 23);
  CreateDurable("f", x);
  std::unique_ptr<WritableFile> f = Reopen("f");
  ASSERT_TRUE(f->Append(std::string(3000, 'y')).ok());
  ASSERT_TRUE(f->Truncate(5000).ok());
  ASSERT_TRUE(f->Append(std::string(7000, 'z')).ok());
  ASSERT_TRUE(f->ZeroExtend(20000).ok());
  ASSERT_TRUE(f->Append(std::string(10, 'w')).ok());

  std::unique_ptr<WritableFile> g = Create("g");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(g->Append(x.substr(0, 5000)).ok());
  ASSERT_TRUE(g->Sync().ok());
  ASSERT_TRUE(g->Append(std::string(5000, 'p')).ok());
  ASSERT_TRUE(g->Truncate(100).ok());
  ASSERT_TRUE(g->Append(std::string(6000, 'q')).ok());
  ASSERT_TRUE(g->Sync().ok());
  const std::string g_durable = x.substr(0, 100) + std::string(6000, 'q');
  ASSERT_TRUE(g->Append(std::string(300, 'r')).ok());
  ASSERT_TRUE(g->Truncate(50).ok());

  PowerCut();
  EXPECT_EQ(Contents("f"), x);
  EXPECT_EQ(Contents("g"), g_durable);
}

// --- Directory entries ---

TEST_F(FaultEnvTest, UnsyncedCreationVanishes) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), kMissing);
}

TEST_F(FaultEnvTest, SyncedCreationSurvives) {
  CreateDurable("f", "abc");
  PowerCut();
  EXPECT_EQ(Contents("f"), "abc");
}

TEST_F(FaultEnvTest, SyncOfAnotherDirectoryDoesNotHelp) {
  ASSERT_TRUE(env_.CreateDir(Path("sub")).ok());
  std::unique_ptr<WritableFile> file = Create("sub/f");
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  PowerCut();
  EXPECT_EQ(Contents("sub/f"), kMissing);
  EXPECT_TRUE(std::filesystem::is_directory(Path("sub"))) << "directories are durable at once";
}

TEST_F(FaultEnvTest, PathSpellingsAreNormalized) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_.NewWritableFile(dir_.path() + "//./f", &file).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path() + "/").ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), "abc");
}

TEST_F(FaultEnvTest, UnsyncedRenameRevertedWithOldDestinationBack) {
  CreateDurable("dst", "old");
  CreateDurable("src", "new");
  ASSERT_TRUE(env_.RenameFile(Path("src"), Path("dst")).ok());
  EXPECT_EQ(Contents("dst"), "new");
  PowerCut();
  EXPECT_EQ(Contents("src"), "new");
  EXPECT_EQ(Contents("dst"), "old");
}

TEST_F(FaultEnvTest, RestoredDestinationHasOnlyItsSyncedBytes) {
  std::unique_ptr<WritableFile> dst = Create("dst");
  ASSERT_TRUE(dst->Append("old").ok());
  ASSERT_TRUE(dst->Sync().ok());
  ASSERT_TRUE(dst->Append("-unsynced").ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  CreateDurable("src", "new");
  ASSERT_TRUE(env_.RenameFile(Path("src"), Path("dst")).ok());
  PowerCut();
  EXPECT_EQ(Contents("dst"), "old");
}

TEST_F(FaultEnvTest, SyncedRenameSticks) {
  CreateDurable("dst", "old");
  CreateDurable("src", "new");
  ASSERT_TRUE(env_.RenameFile(Path("src"), Path("dst")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  PowerCut();
  EXPECT_EQ(Contents("src"), kMissing);
  EXPECT_EQ(Contents("dst"), "new");
}

TEST_F(FaultEnvTest, SyncStateMovesWithRename) {
  std::unique_ptr<WritableFile> file = Create("a");
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("def").ok());
  ASSERT_TRUE(env_.RenameFile(Path("a"), Path("b")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  PowerCut();
  EXPECT_EQ(Contents("a"), kMissing);
  EXPECT_EQ(Contents("b"), "abc");
}

TEST_F(FaultEnvTest, SyncThroughHandleAfterRenameCountsForNewName) {
  std::unique_ptr<WritableFile> file = Create("a");
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(env_.RenameFile(Path("a"), Path("b")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Sync().ok());
  PowerCut();
  EXPECT_EQ(Contents("b"), "abc");
}

TEST_F(FaultEnvTest, RenameAcrossDirectoriesIsDurablePerEntry) {
  ASSERT_TRUE(env_.CreateDir(Path("d1")).ok());
  ASSERT_TRUE(env_.CreateDir(Path("d2")).ok());
  CreateDurable("d1/a", "abc");
  ASSERT_TRUE(env_.SyncDir(Path("d1")).ok());
  ASSERT_TRUE(env_.RenameFile(Path("d1/a"), Path("d2/b")).ok());
  ASSERT_TRUE(env_.SyncDir(Path("d2")).ok());
  PowerCut();
  // The new entry is durable; the removal of the old one is not.
  EXPECT_EQ(Contents("d2/b"), "abc");
  EXPECT_EQ(Contents("d1/a"), "abc");

  ASSERT_TRUE(env_.RenameFile(Path("d1/a"), Path("d2/c")).ok());
  ASSERT_TRUE(env_.SyncDir(Path("d1")).ok());
  ASSERT_TRUE(env_.SyncDir(Path("d2")).ok());
  PowerCut();
  EXPECT_EQ(Contents("d1/a"), kMissing);
  EXPECT_EQ(Contents("d2/c"), "abc");
}

TEST_F(FaultEnvTest, UnsyncedRemoveUndone) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("-tail").ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(env_.RemoveFile(Path("f")).ok());
  EXPECT_EQ(Contents("f"), kMissing);
  PowerCut();
  EXPECT_EQ(Contents("f"), "data");
}

TEST_F(FaultEnvTest, SyncedRemoveSticks) {
  CreateDurable("f", "data");
  ASSERT_TRUE(env_.RemoveFile(Path("f")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), kMissing);
}

TEST_F(FaultEnvTest, CreatedThenRemovedLeavesNothing) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(env_.RemoveFile(Path("f")).ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), kMissing);
}

TEST_F(FaultEnvTest, RemovedAndRecreatedRevertsToDurableFile) {
  CreateDurable("f", "durable");
  ASSERT_TRUE(env_.RemoveFile(Path("f")).ok());
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("replacement").ok());
  ASSERT_TRUE(file->Sync().ok());
  PowerCut();
  EXPECT_EQ(Contents("f"), "durable");
}

TEST_F(FaultEnvTest, RenameThenRemoveRestoresSource) {
  CreateDurable("a", "abc");
  ASSERT_TRUE(env_.RenameFile(Path("a"), Path("b")).ok());
  ASSERT_TRUE(env_.RemoveFile(Path("b")).ok());
  PowerCut();
  EXPECT_EQ(Contents("a"), "abc");
  EXPECT_EQ(Contents("b"), kMissing);
}

TEST_F(FaultEnvTest, SwapByRenamesIsUndone) {
  CreateDurable("a", "A");
  CreateDurable("b", "B");
  ASSERT_TRUE(env_.RenameFile(Path("a"), Path("tmp")).ok());
  ASSERT_TRUE(env_.RenameFile(Path("b"), Path("a")).ok());
  ASSERT_TRUE(env_.RenameFile(Path("tmp"), Path("b")).ok());
  EXPECT_EQ(Contents("a"), "B");
  PowerCut();
  EXPECT_EQ(Contents("a"), "A");
  EXPECT_EQ(Contents("b"), "B");
  EXPECT_EQ(Contents("tmp"), kMissing);
}

TEST_F(FaultEnvTest, PendingEntriesMaySurviveAPowerCutOrNot) {
  bool created_kept = false, created_undone = false;
  bool renamed_kept = false, renamed_undone = false;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    const std::string src = "s" + std::to_string(seed), dst = "d" + std::to_string(seed);
    CreateDurable(src, "xyz");
    const std::string created = "c" + std::to_string(seed);
    std::unique_ptr<WritableFile> file = Create(created);
    ASSERT_TRUE(file->Append("abc").ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(env_.RenameFile(Path(src), Path(dst)).ok());
    RandomPowerCut(seed);

    const std::string c = Contents(created);
    EXPECT_TRUE(c == "abc" || c == kMissing) << "seed " << seed << ": " << c;
    created_kept |= c == "abc";
    created_undone |= c == kMissing;
    const std::string d = Contents(dst);
    EXPECT_TRUE(d == "xyz" || d == kMissing) << "seed " << seed << ": " << d;
    const std::string s = Contents(src);
    EXPECT_TRUE(s == "xyz" || s == kMissing) << "seed " << seed << ": " << s;
    renamed_kept |= d == "xyz";
    renamed_undone |= d == kMissing && s == "xyz";
    RemoveDurably(created);
    RemoveDurably(src);
    RemoveDurably(dst);
  }
  EXPECT_TRUE(created_kept);
  EXPECT_TRUE(created_undone);
  EXPECT_TRUE(renamed_kept);
  EXPECT_TRUE(renamed_undone);
}

TEST_F(FaultEnvTest, FilesFromBeforeTheEnvAreDurable) {
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(Env::Default()->NewWritableFile(Path("old"), &file).ok());
    ASSERT_TRUE(file->Append("abc").ok());
  }
  ASSERT_TRUE(env_.RenameFile(Path("old"), Path("new")).ok());
  PowerCut();
  EXPECT_EQ(Contents("old"), "abc");
  EXPECT_EQ(Contents("new"), kMissing);
}

TEST_F(FaultEnvTest, OpenFilesUnusableAfterPowerCut) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  PowerCut();
  EXPECT_EQ(file->Append("def").code(), Status::Code::kIoError);
  EXPECT_EQ(file->Sync().code(), Status::Code::kIoError);
  EXPECT_EQ(file->Truncate(0).code(), Status::Code::kIoError);
  EXPECT_EQ(file->Close().code(), Status::Code::kIoError);
  EXPECT_EQ(Contents("f"), "abc");

  std::unique_ptr<WritableFile> reopened;
  ASSERT_TRUE(env_.NewAppendableFile(Path("f"), &reopened).ok());
  EXPECT_TRUE(reopened->Append("def").ok());
  EXPECT_EQ(Contents("f"), "abcdef");
}

// --- Injected failures ---

TEST_F(FaultEnvTest, FailNextWriteAppendsNothing) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("abc").ok());
  env_.FailNextWrite();
  EXPECT_EQ(file->Append("def").code(), Status::Code::kIoError);
  EXPECT_EQ(file->Size(), 3u);
  EXPECT_EQ(Contents("f"), "abc");
  EXPECT_TRUE(file->Append("ghi").ok()) << "the failure is one-shot";
  EXPECT_EQ(Contents("f"), "abcghi");
}

TEST_F(FaultEnvTest, FailWritesAfterCountsAppends) {
  std::unique_ptr<WritableFile> file = Create("f");
  env_.FailWritesAfter(2);
  EXPECT_TRUE(file->Append("a").ok());
  EXPECT_TRUE(file->Append("b").ok());
  EXPECT_FALSE(file->Append("c").ok());
  EXPECT_TRUE(file->Append("d").ok());
  EXPECT_EQ(Contents("f"), "abd");

  env_.FailWritesAfter(0);
  env_.FailWritesAfter(-1);
  EXPECT_TRUE(file->Append("e").ok()) << "a negative count cancels";
}

TEST_F(FaultEnvTest, PartialWriteTearsTheAppend) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("xy").ok());
  env_.set_partial_write(true);
  env_.FailNextWrite();
  EXPECT_EQ(file->Append("abcdefg").code(), Status::Code::kIoError);
  EXPECT_EQ(file->Size(), 5u);
  EXPECT_EQ(Contents("f"), "xyabc");
  // The recovery the Append contract asks of callers.
  ASSERT_TRUE(file->Truncate(2).ok());
  ASSERT_TRUE(file->Append("abcdefg").ok());
  EXPECT_EQ(Contents("f"), "xyabcdefg");
}

TEST_F(FaultEnvTest, FailNextSyncDecidesWhatReachedTheDisk) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  env_.FailNextSync();
  EXPECT_EQ(file->Sync().code(), Status::Code::kIoError);
  EXPECT_EQ(Contents("f"), "abc") << "still readable before the power cut";
  PowerCut();
  const std::string c = Contents("f");
  EXPECT_TRUE(c.empty() || c == "abc" || c == std::string(3, '\0')) << c;

  std::unique_ptr<WritableFile> again = Create("g");
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(again->Append("abc").ok());
  EXPECT_TRUE(again->Sync().ok()) << "the failure is one-shot";
  PowerCut();
  EXPECT_EQ(Contents("g"), "abc");
}

TEST_F(FaultEnvTest, FailSyncsIsPersistentAndCoversTruncateFile) {
  CreateDurable("g", "0123");
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("abc").ok());
  env_.FailSyncs(true);
  EXPECT_FALSE(file->Sync().ok());
  EXPECT_FALSE(file->Sync().ok());
  EXPECT_FALSE(env_.TruncateFile(Path("g"), 1).ok());
  EXPECT_EQ(Contents("g"), "0123");
  env_.FailSyncs(false);
  EXPECT_TRUE(file->Sync().ok());
  EXPECT_TRUE(env_.TruncateFile(Path("g"), 1).ok());
}

TEST_F(FaultEnvTest, FailNextDirSyncLeavesEntriesPending) {
  std::unique_ptr<WritableFile> file = Create("f");
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Sync().ok());
  env_.FailNextDirSync();
  EXPECT_EQ(env_.SyncDir(dir_.path()).code(), Status::Code::kIoError);
  PowerCut();
  EXPECT_EQ(Contents("f"), kMissing);

  CreateDurable("g", "abc");  // its SyncDir succeeds: one-shot
  PowerCut();
  EXPECT_EQ(Contents("g"), "abc");
}

TEST_F(FaultEnvTest, SpaceLimitAppendsWhatFitsThenNoSpace) {
  CreateDurable("a", "1234");
  std::unique_ptr<WritableFile> file = Create("b");
  env_.SetSpaceLimit(10);
  EXPECT_EQ(env_.used_bytes(), 4u);
  ASSERT_TRUE(file->Append("abc").ok());
  const Status s = file->Append("defgh");
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_NE(s.message().find(Path("b")), std::string::npos) << s.ToString();
  EXPECT_EQ(Contents("b"), "abcdef");
  EXPECT_EQ(file->Size(), 6u);
  EXPECT_EQ(env_.used_bytes(), 10u);
  EXPECT_TRUE(file->Append("x").IsNoSpace());
  EXPECT_EQ(Contents("b"), "abcdef");

  ASSERT_TRUE(env_.RemoveFile(Path("a")).ok());  // frees 4 bytes
  EXPECT_TRUE(file->Append("wxyz").ok());
  EXPECT_TRUE(file->Append("!").IsNoSpace());
  env_.ClearSpaceLimit();
  EXPECT_TRUE(file->Append("!").ok());
  EXPECT_EQ(Contents("b"), "abcdefwxyz!");
}

TEST_F(FaultEnvTest, CrashAfterOpsFreezesTheMachine) {
  CreateDurable("durable", "old");
  std::unique_ptr<WritableFile> file = Create("f");
  env_.SetCrashAfterOps(2);
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->Append("def").ok());
  EXPECT_FALSE(env_.crashed());

  EXPECT_EQ(file->Sync().code(), Status::Code::kIoError);
  EXPECT_TRUE(env_.crashed());
  EXPECT_FALSE(file->Append("ghi").ok());
  EXPECT_FALSE(file->Truncate(0).ok());
  EXPECT_FALSE(env_.SyncDir(dir_.path()).ok());
  EXPECT_FALSE(env_.RenameFile(Path("f"), Path("g")).ok());
  EXPECT_FALSE(env_.RemoveFile(Path("durable")).ok());
  EXPECT_FALSE(env_.TruncateFile(Path("durable"), 0).ok());
  EXPECT_FALSE(env_.CreateDir(Path("sub")).ok());
  std::unique_ptr<WritableFile> other;
  EXPECT_FALSE(env_.NewWritableFile(Path("other"), &other).ok());
  // Nothing after the freeze reached the disk.
  EXPECT_EQ(Contents("f"), "abcdef");
  EXPECT_EQ(Contents("g"), kMissing);
  EXPECT_EQ(Contents("durable"), "old");
  EXPECT_EQ(Contents("other"), kMissing);
  EXPECT_FALSE(std::filesystem::exists(Path("sub")));
  // Reads still work: the test inspects the frozen machine.
  std::string contents;
  EXPECT_TRUE(ReadFileToString(&env_, Path("durable"), &contents).ok());

  PowerCut();
  EXPECT_FALSE(env_.crashed());
  EXPECT_EQ(Contents("f"), kMissing);
  EXPECT_EQ(Contents("durable"), "old");
  EXPECT_TRUE(env_.RemoveFile(Path("durable")).ok()) << "the reboot ends the freeze";
}

TEST_F(FaultEnvTest, CountersCountCalls) {
  std::unique_ptr<WritableFile> file = Create("f");  // 1 mutating op
  ASSERT_TRUE(file->Append("a").ok());
  env_.FailNextWrite();
  EXPECT_FALSE(file->Append("b").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  EXPECT_EQ(env_.append_count(), 2);
  EXPECT_EQ(env_.sync_count(), 1);
  EXPECT_EQ(env_.dir_sync_count(), 2);
  EXPECT_EQ(env_.mutating_op_count(), 6);
  EXPECT_TRUE(env_.FileExists(Path("f")));
  EXPECT_EQ(env_.mutating_op_count(), 6) << "reads are not mutating";
}

// The crash-at-every-boundary pattern the env exists for: replace a file's
// contents by writing a temporary, syncing it, renaming it over and syncing
// the directory. Every crash point must leave the old or the new contents,
// and only the complete sequence guarantees the new ones.
class AtomicReplaceTest : public FaultEnvTest {
 protected:
  // Returns the contents of CURRENT after a crash following n operations of
  // the replacement (or after the complete replacement, if it needs n or
  // fewer), and sets *crashed.
  std::string ReplaceAndCrashAfter(int64_t n, bool sync_data, bool* crashed) {
    const std::string sub = "run" + std::to_string(n);
    EXPECT_TRUE(Env::Default()->CreateDir(Path(sub)).ok());
    FaultInjectionEnv env(Env::Default());
    {
      std::unique_ptr<WritableFile> file;
      EXPECT_TRUE(env.NewWritableFile(Path(sub + "/CURRENT"), &file).ok());
      EXPECT_TRUE(file->Append("v1").ok());
      EXPECT_TRUE(file->Sync().ok());
      EXPECT_TRUE(env.SyncDir(Path(sub)).ok());
    }
    env.SetCrashAfterOps(n);
    const int64_t before = env.mutating_op_count();
    {
      // Errors are expected once frozen; the sequence stops at the first.
      std::unique_ptr<WritableFile> file;
      Status s = env.NewWritableFile(Path(sub + "/CURRENT.tmp"), &file);
      if (s.ok()) s = file->Append("v2");
      if (s.ok() && sync_data) s = file->Sync();
      if (s.ok()) s = env.RenameFile(Path(sub + "/CURRENT.tmp"), Path(sub + "/CURRENT"));
      if (s.ok()) s = env.SyncDir(Path(sub));
      ops_ = env.mutating_op_count() - before;
    }
    *crashed = env.crashed();
    EXPECT_TRUE(env.DropUnsyncedData().ok());
    return Contents(sub + "/CURRENT");
  }

  int64_t ops_ = 0;
};

TEST_F(AtomicReplaceTest, EveryCrashPointLeavesOldOrNew) {
  bool crashed = true;
  int64_t n = 0;
  for (; crashed; ++n) {
    const std::string current = ReplaceAndCrashAfter(n, /*sync_data=*/true, &crashed);
    if (crashed) {
      EXPECT_TRUE(current == "v1" || current == "v2") << "crash after " << n << ": " << current;
    } else {
      EXPECT_EQ(current, "v2") << "completed in " << n << " operations";
    }
  }
  EXPECT_EQ(n - 1, ops_) << "the enumeration ends once the workload completes";
  EXPECT_EQ(ops_, 5);
}

TEST_F(AtomicReplaceTest, CatchesMissingDataSync) {
  // Without the Sync before the rename, some crash point exposes the renamed
  // file without its data: the bug the env must be able to show.
  bool crashed = true;
  bool saw_empty = false;
  for (int64_t n = 0; crashed; ++n) {
    saw_empty |= ReplaceAndCrashAfter(n, /*sync_data=*/false, &crashed).empty();
  }
  EXPECT_TRUE(saw_empty);
}

TEST_F(FaultEnvTest, ConcurrentWritersAndDirectoryOps) {
  constexpr int kThreads = 4;
  constexpr int kAppends = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      const std::string name = "t" + std::to_string(t);
      std::unique_ptr<WritableFile> file = Create(name);
      for (int i = 0; i < kAppends; ++i) {
        EXPECT_TRUE(file->Append("x").ok());
        if (i % 10 == 0) {
          EXPECT_TRUE(file->Sync().ok());
        }
      }
      EXPECT_TRUE(file->Sync().ok());
      EXPECT_TRUE(env_.RenameFile(Path(name), Path(name + ".done")).ok());
      EXPECT_TRUE(env_.SyncDir(dir_.path()).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  PowerCut();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(Contents("t" + std::to_string(t) + ".done"), std::string(kAppends, 'x'));
  }
  EXPECT_EQ(env_.append_count(), kThreads * kAppends);
}

}  // namespace
}  // namespace cairn::storage
