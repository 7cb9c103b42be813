#include "storage/log_reader.h"

#include <gtest/gtest.h>

#include <random>

#include "storage/log_format.h"

namespace cairn::storage {
namespace {

// A segment of n put records, versions 1..n; *ends gets each record's end.
std::string MakeSegment(int n, std::vector<size_t>* ends) {
  std::string contents = EncodeSegmentHeader(1);
  for (int i = 1; i <= n; ++i) {
    const std::string key = "key" + std::to_string(i);
    const std::string value(static_cast<size_t>(i * 7), 'v');
    AppendLogRecord(&contents, static_cast<uint64_t>(i), {{false, key, value}});
    ends->push_back(contents.size());
  }
  return contents;
}

struct ReadResult {
  int records = 0;
  uint64_t last_version = 0;
  bool damaged = false;
  uint64_t valid_bytes = 0;
  bool valid_follows = false;
};

ReadResult ReadAll(std::string_view contents) {
  ReadResult r;
  LogReader reader(contents);
  uint64_t number = 0;
  EXPECT_TRUE(reader.ReadHeader(&number).ok());
  LogRecord record;
  while (reader.Next(&record)) {
    ++r.records;
    r.last_version = record.version;
  }
  r.damaged = reader.damaged();
  r.valid_bytes = reader.valid_bytes();
  if (r.damaged) r.valid_follows = reader.ValidRecordFollows(r.last_version);
  return r;
}

TEST(LogReaderTest, TornTailOfEveryLengthStopsAtLastWholeRecord) {
  std::vector<size_t> ends;
  const std::string contents = MakeSegment(5, &ends);
  for (size_t cut = ends[3] + 1; cut < ends[4]; ++cut) {
    ReadResult r = ReadAll(std::string_view(contents).substr(0, cut));
    EXPECT_EQ(r.records, 4) << "cut at " << cut;
    EXPECT_TRUE(r.damaged);
    EXPECT_EQ(r.valid_bytes, ends[3]);
    EXPECT_FALSE(r.valid_follows);
  }
}

TEST(LogReaderTest, ZeroTailIsTheEndOfTheSegment) {
  std::vector<size_t> ends;
  const std::string contents = MakeSegment(3, &ends);
  for (size_t tail : {1u, 7u, 8u, 20u, 21u, 22u, 100u, 4096u, 100000u}) {
    ReadResult r = ReadAll(contents + std::string(tail, '\0'));
    EXPECT_EQ(r.records, 3) << "tail " << tail;
    EXPECT_FALSE(r.damaged) << "tail " << tail;
    EXPECT_EQ(r.valid_bytes, ends[2]) << "tail " << tail;
  }
}

TEST(LogReaderTest, ZerosWithAnythingAfterThemAreDamage) {
  std::vector<size_t> ends;
  const std::string contents = MakeSegment(3, &ends);
  for (size_t at : {0u, 7u, 8u, 21u, 4095u}) {
    std::string tail(4096, '\0');
    tail[at] = 1;
    ReadResult r = ReadAll(contents + tail);
    EXPECT_EQ(r.records, 3) << "nonzero byte at " << at;
    EXPECT_TRUE(r.damaged) << "nonzero byte at " << at;
    EXPECT_EQ(r.valid_bytes, ends[2]);
    EXPECT_FALSE(r.valid_follows);
  }
}

TEST(LogReaderTest, TornRecordInZerosIsDamageWithNothingValidAfter) {
  // A power cut during an append over zeros written ahead: a prefix of the
  // record reached the disk, zeros follow.
  std::vector<size_t> ends;
  const std::string contents = MakeSegment(4, &ends);
  for (size_t cut = ends[2] + 1; cut < ends[3]; ++cut) {
    ReadResult r = ReadAll(contents.substr(0, cut) + std::string(8192, '\0'));
    EXPECT_EQ(r.records, 3) << "cut at " << cut;
    // A prefix of zero bytes cannot be told from nothing written.
    const std::string_view written = std::string_view(contents).substr(ends[2], cut - ends[2]);
    const bool all_zero = written.find_first_not_of('\0') == std::string_view::npos;
    EXPECT_EQ(r.damaged, !all_zero) << "cut at " << cut;
    EXPECT_EQ(r.valid_bytes, ends[2]);
    EXPECT_FALSE(r.valid_follows);
  }
}

TEST(LogReaderTest, GarbageTailsAreNotFollowedByValidRecords) {
  std::vector<size_t> ends;
  const std::string contents = MakeSegment(3, &ends);
  std::mt19937 rng(1);
  for (size_t tail : {1u, 20u, 21u, 22u, 100u, 4096u, 100000u}) {
    std::string garbage(tail, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    ReadResult random = ReadAll(contents + garbage);
    EXPECT_EQ(random.records, 3);
    EXPECT_EQ(random.valid_bytes, ends[2]);
    EXPECT_FALSE(random.valid_follows);
  }
}

TEST(LogReaderTest, FlippedByteInTheMiddleIsFollowedByValidRecords) {
  std::vector<size_t> ends;
  const std::string contents = MakeSegment(6, &ends);
  // Every byte of record 3 (header and payload).
  for (size_t pos = ends[1]; pos < ends[2]; ++pos) {
    std::string damaged = contents;
    damaged[pos] ^= 0x10;
    ReadResult r = ReadAll(damaged);
    EXPECT_EQ(r.records, 2) << "flip at " << pos;
    EXPECT_TRUE(r.damaged);
    EXPECT_EQ(r.valid_bytes, ends[1]);
    EXPECT_TRUE(r.valid_follows) << "flip at " << pos;
  }
}

TEST(LogReaderTest, DamagedLastRecordHasNothingValidAfterIt) {
  std::vector<size_t> ends;
  const std::string contents = MakeSegment(4, &ends);
  std::string damaged = contents;
  damaged[ends[3] - 1] ^= 0x01;
  ReadResult r = ReadAll(damaged);
  EXPECT_EQ(r.records, 3);
  EXPECT_TRUE(r.damaged);
  EXPECT_FALSE(r.valid_follows);
}

}  // namespace
}  // namespace cairn::storage
