// Tests of the POSIX Env against a real temporary directory.
#include "storage/env.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "storage/status.h"
#include "tests/common/temp_dir.h"

namespace cairn::storage {
namespace {

using test::TempDir;

class PosixEnvTest : public testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.file(name); }

  void WriteFile(const std::string& name, std::string_view contents) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env_->NewWritableFile(Path(name), &file).ok());
    ASSERT_TRUE(file->Append(contents).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
  }

  std::string ReadFile(const std::string& name) {
    std::string contents;
    const Status s = ReadFileToString(env_, Path(name), &contents);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return contents;
  }

  Env* const env_ = Env::Default();
  TempDir dir_;
};

TEST_F(PosixEnvTest, DefaultIsOneInstance) { EXPECT_EQ(Env::Default(), Env::Default()); }

TEST_F(PosixEnvTest, WriteReadRoundTrip) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_->NewWritableFile(Path("f"), &file).ok());
  EXPECT_EQ(file->Size(), 0u);
  ASSERT_TRUE(file->Append("hello ").ok());
  ASSERT_TRUE(file->Append("world").ok());
  EXPECT_EQ(file->Size(), 11u);
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadFile("f"), "hello world");
  uint64_t size = 0;
  ASSERT_TRUE(env_->GetFileSize(Path("f"), &size).ok());
  EXPECT_EQ(size, 11u);
}

TEST_F(PosixEnvTest, NewWritableFileTruncatesExisting) {
  WriteFile("f", "old contents");
  WriteFile("f", "new");
  EXPECT_EQ(ReadFile("f"), "new");
}

TEST_F(PosixEnvTest, ReadFileToStringReadsPastOneChunk) {
  std::string big(200 * 1024 + 7, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  WriteFile("big", big);
  EXPECT_EQ(ReadFile("big"), big);
}

TEST_F(PosixEnvTest, ReadWholeFileSeesWhatWasWritten) {
  std::string big(200 * 1024 + 7, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  WriteFile("big", big);
  WriteFile("empty", "");
  std::unique_ptr<FileContents> contents;
  ASSERT_TRUE(env_->ReadWholeFile(Path("big"), &contents).ok());
  EXPECT_EQ(contents->data(), big);
  ASSERT_TRUE(env_->ReadWholeFile(Path("empty"), &contents).ok());
  EXPECT_TRUE(contents->data().empty());
  const Status s = env_->ReadWholeFile(Path("missing"), &contents);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find(Path("missing")), std::string::npos) << s.ToString();
}

// The mapping outlives the file's name: recovery moves a damaged segment
// aside while it still reads from it.
TEST_F(PosixEnvTest, ReadWholeFileSurvivesRename) {
  WriteFile("f", "contents");
  std::unique_ptr<FileContents> contents;
  ASSERT_TRUE(env_->ReadWholeFile(Path("f"), &contents).ok());
  ASSERT_TRUE(env_->RenameFile(Path("f"), Path("g")).ok());
  WriteFile("f", "other");
  EXPECT_EQ(contents->data(), "contents");
}

TEST_F(PosixEnvTest, SequentialReadsAreShortOnlyAtEnd) {
  WriteFile("f", "abcdefg");
  std::unique_ptr<SequentialFile> file;
  ASSERT_TRUE(env_->NewSequentialFile(Path("f"), &file).ok());
  std::string scratch;
  std::string_view result;
  ASSERT_TRUE(file->Read(4, &scratch, &result).ok());
  EXPECT_EQ(result, "abcd");
  ASSERT_TRUE(file->Read(4, &scratch, &result).ok());
  EXPECT_EQ(result, "efg");
  ASSERT_TRUE(file->Read(4, &scratch, &result).ok());
  EXPECT_TRUE(result.empty());
}

TEST_F(PosixEnvTest, MissingFileIsNotFoundAndNamed) {
  std::string contents;
  const Status s = ReadFileToString(env_, Path("missing"), &contents);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find(Path("missing")), std::string::npos) << s.ToString();
  std::unique_ptr<WritableFile> file;
  EXPECT_TRUE(env_->NewAppendableFile(Path("missing"), &file).IsNotFound());
  EXPECT_FALSE(env_->FileExists(Path("missing")));
}

TEST_F(PosixEnvTest, AppendableFileContinuesAtEnd) {
  WriteFile("f", "abc");
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_->NewAppendableFile(Path("f"), &file).ok());
  EXPECT_EQ(file->Size(), 3u);
  ASSERT_TRUE(file->Append("def").ok());
  EXPECT_EQ(file->Size(), 6u);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadFile("f"), "abcdef");
}

TEST_F(PosixEnvTest, TruncateRepositionsLaterAppends) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_->NewWritableFile(Path("f"), &file).ok());
  ASSERT_TRUE(file->Append("0123456789").ok());
  ASSERT_TRUE(file->Truncate(4).ok());
  EXPECT_EQ(file->Size(), 4u);
  ASSERT_TRUE(file->Append("xy").ok());
  EXPECT_EQ(file->Size(), 6u);
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadFile("f"), "0123xy");
}

TEST_F(PosixEnvTest, ZeroExtendLengthensTheFileButNotWhereAppendsGo) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_->NewWritableFile(Path("f"), &file).ok());
  ASSERT_TRUE(file->Append("abc").ok());
  ASSERT_TRUE(file->ZeroExtend(3 + (3 << 20)).ok());  // past one 1 MiB chunk of zeros
  EXPECT_EQ(file->Size(), 3u);
  EXPECT_EQ(std::filesystem::file_size(Path("f")), 3u + (3 << 20));
  ASSERT_TRUE(file->Append("def").ok());
  EXPECT_EQ(file->Size(), 6u);
  EXPECT_EQ(std::filesystem::file_size(Path("f")), 3u + (3 << 20));
  ASSERT_TRUE(file->ZeroExtend(10).ok());  // already that long: nothing to do
  ASSERT_TRUE(file->Sync().ok());
  const std::string contents = ReadFile("f");
  EXPECT_EQ(contents.substr(0, 6), "abcdef");
  EXPECT_EQ(std::count(contents.begin(), contents.end(), '\0'),
            static_cast<long>(contents.size() - 6));
  ASSERT_TRUE(file->Truncate(4).ok());  // the zeros go too
  EXPECT_EQ(std::filesystem::file_size(Path("f")), 4u);
  ASSERT_TRUE(file->Append("x").ok());
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadFile("f"), "abcdx");
}

TEST_F(PosixEnvTest, ClosedFileRefusesWork) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_->NewWritableFile(Path("f"), &file).ok());
  ASSERT_TRUE(file->Close().ok());
  EXPECT_FALSE(file->Append("x").ok());
  EXPECT_FALSE(file->Sync().ok());
  EXPECT_TRUE(file->Close().ok());
}

TEST_F(PosixEnvTest, TruncateFileCutsAndKeepsPrefix) {
  WriteFile("f", "0123456789");
  ASSERT_TRUE(env_->TruncateFile(Path("f"), 3).ok());
  EXPECT_EQ(ReadFile("f"), "012");
  EXPECT_TRUE(env_->TruncateFile(Path("missing"), 0).IsNotFound());
}

TEST_F(PosixEnvTest, RenameReplacesDestination) {
  WriteFile("src", "new");
  WriteFile("dst", "old");
  ASSERT_TRUE(env_->RenameFile(Path("src"), Path("dst")).ok());
  EXPECT_FALSE(env_->FileExists(Path("src")));
  EXPECT_EQ(ReadFile("dst"), "new");
  const Status s = env_->RenameFile(Path("src"), Path("dst"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(Path("src")), std::string::npos) << s.ToString();
}

TEST_F(PosixEnvTest, GetChildrenListsNamesOnly) {
  WriteFile("a", "");
  WriteFile("b", "");
  ASSERT_TRUE(env_->CreateDir(Path("sub")).ok());
  std::vector<std::string> children;
  ASSERT_TRUE(env_->GetChildren(dir_.path(), &children).ok());
  std::sort(children.begin(), children.end());
  EXPECT_EQ(children, (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_TRUE(env_->GetChildren(Path("missing"), &children).IsNotFound());
}

TEST_F(PosixEnvTest, RemoveFile) {
  WriteFile("f", "x");
  ASSERT_TRUE(env_->FileExists(Path("f")));
  ASSERT_TRUE(env_->RemoveFile(Path("f")).ok());
  EXPECT_FALSE(env_->FileExists(Path("f")));
  EXPECT_TRUE(env_->RemoveFile(Path("f")).IsNotFound());
}

TEST_F(PosixEnvTest, CreateDir) {
  ASSERT_TRUE(env_->CreateDir(Path("d")).ok());
  EXPECT_TRUE(std::filesystem::is_directory(Path("d")));
  EXPECT_TRUE(env_->CreateDir(Path("d")).ok()) << "an existing directory is fine";
  EXPECT_TRUE(env_->SyncDir(Path("d")).ok());
}

TEST_F(PosixEnvTest, CreateDirOverFileFailsNamingPath) {
  WriteFile("f", "x");
  const Status s = env_->CreateDir(Path("f"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(Path("f")), std::string::npos) << s.ToString();
}

TEST_F(PosixEnvTest, SyncDirOfMissingDirectoryFails) {
  EXPECT_TRUE(env_->SyncDir(dir_.path()).ok());
  EXPECT_TRUE(env_->SyncDir(Path("missing")).IsNotFound());
}

TEST_F(PosixEnvTest, LockConflictsWithinProcessAndReleasesOnDestruction) {
  const std::string lock_path = Path("LOCK");
  std::unique_ptr<FileLock> first;
  ASSERT_TRUE(env_->LockFile(lock_path, &first).ok());
  EXPECT_TRUE(env_->FileExists(lock_path));

  std::unique_ptr<FileLock> second;
  const Status busy = env_->LockFile(lock_path, &second);
  EXPECT_EQ(busy.code(), Status::Code::kBusy) << busy.ToString();
  EXPECT_NE(busy.message().find(lock_path), std::string::npos) << busy.ToString();
  EXPECT_NE(busy.message().find(dir_.path()), std::string::npos) << busy.ToString();
  EXPECT_EQ(second, nullptr);

  first.reset();
  EXPECT_TRUE(env_->LockFile(lock_path, &second).ok());
}

TEST_F(PosixEnvTest, LockConflictsAcrossProcesses) {
  const std::string lock_path = Path("LOCK");
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(env_->LockFile(lock_path, &lock).ok());
  // The child gets its own open file description, so this is the same check
  // another server process would make. Exit code 0 means "got kBusy".
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::unique_ptr<FileLock> child_lock;
    ::_exit(env_->LockFile(lock_path, &child_lock).code() == Status::Code::kBusy ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

// Whether the descriptor this process holds on path is close-on-exec.
// Looks at /proc/self/fdinfo, whose "flags:" line is octal open(2) flags.
bool OpenedCloseOnExec(const std::string& path) {
  bool found = false;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec) != path) continue;
    std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().string());
    std::string key;
    while (info >> key) {
      if (key != "flags:") continue;
      std::string flags;
      info >> flags;
      if ((std::stoul(flags, nullptr, 8) & O_CLOEXEC) == 0) return false;
      found = true;
    }
  }
  return found;
}

size_t OpenDescriptorCount() {
  const auto entries = std::filesystem::directory_iterator("/proc/self/fd");
  return static_cast<size_t>(std::distance(begin(entries), end(entries)));
}

TEST_F(PosixEnvTest, DestroyingObjectsClosesDescriptors) {
  WriteFile("f", "x");
  const size_t before = OpenDescriptorCount();
  {
    std::unique_ptr<WritableFile> writer;
    ASSERT_TRUE(env_->NewAppendableFile(Path("f"), &writer).ok());
    std::unique_ptr<SequentialFile> reader;
    ASSERT_TRUE(env_->NewSequentialFile(Path("f"), &reader).ok());
    std::unique_ptr<FileLock> lock;
    ASSERT_TRUE(env_->LockFile(Path("LOCK"), &lock).ok());
    EXPECT_EQ(OpenDescriptorCount(), before + 3);
  }
  EXPECT_EQ(OpenDescriptorCount(), before);
}

TEST_F(PosixEnvTest, DescriptorsAreCloseOnExec) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_->NewWritableFile(Path("f"), &file).ok());
  EXPECT_TRUE(OpenedCloseOnExec(Path("f")));
  std::unique_ptr<SequentialFile> reader;
  ASSERT_TRUE(env_->NewSequentialFile(Path("f"), &reader).ok());
  EXPECT_TRUE(OpenedCloseOnExec(Path("f")));
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(env_->LockFile(Path("LOCK"), &lock).ok());
  EXPECT_TRUE(OpenedCloseOnExec(Path("LOCK")));
}

TEST(StatusFromErrnoTest, NoSpaceMapping) {
  EXPECT_TRUE(Status::FromErrno("write f", ENOSPC).IsNoSpace());
  EXPECT_TRUE(Status::FromErrno("write f", EDQUOT).IsNoSpace());
  const Status io = Status::FromErrno("write f", EIO);
  EXPECT_EQ(io.code(), Status::Code::kIoError);
  EXPECT_NE(io.message().find("write f"), std::string::npos);
}

// /dev/full fails every write with ENOSPC: the real path through PosixEnv.
TEST_F(PosixEnvTest, FullDeviceAppendIsNoSpace) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env_->NewAppendableFile("/dev/full", &file).ok());
  const Status s = file->Append("x");
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_NE(s.message().find("/dev/full"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace cairn::storage
