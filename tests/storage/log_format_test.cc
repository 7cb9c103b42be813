#include "storage/log_format.h"

#include <gtest/gtest.h>

#include "storage/coding.h"
#include "storage/log_reader.h"

namespace cairn::storage {
namespace {

std::string Segment(const std::vector<std::pair<uint64_t, std::vector<LogOp>>>& records) {
  std::string contents = EncodeSegmentHeader(7);
  for (const auto& [version, ops] : records) AppendLogRecord(&contents, version, ops);
  return contents;
}

TEST(LogFormatTest, SegmentFileNamesRoundTrip) {
  uint64_t number = 0;
  EXPECT_EQ(SegmentFileName(42), "log-00000000000000000042.wal");
  EXPECT_TRUE(ParseSegmentFileName(SegmentFileName(42), &number));
  EXPECT_EQ(number, 42u);
  EXPECT_TRUE(ParseSegmentFileName(SegmentFileName(UINT64_MAX), &number));
  EXPECT_EQ(number, UINT64_MAX);
  EXPECT_FALSE(ParseSegmentFileName("log-00000000000000000042.wal.tmp", &number));
  EXPECT_FALSE(ParseSegmentFileName("log-0000000000000000004x.wal", &number));
  EXPECT_FALSE(ParseSegmentFileName("snapshot-0008-0001.snap", &number));
}

TEST(LogFormatTest, HeaderIsCheckedForMagicChecksumAndVersion) {
  uint64_t number = 0;
  std::string header = EncodeSegmentHeader(9);
  ASSERT_EQ(header.size(), kSegmentHeaderSize);
  ASSERT_TRUE(DecodeSegmentHeader(header, &number).ok());
  EXPECT_EQ(number, 9u);
  for (size_t i = 0; i < header.size(); ++i) {
    std::string damaged = header;
    damaged[i] ^= 0x01;
    EXPECT_TRUE(DecodeSegmentHeader(damaged, &number).IsCorruption()) << "byte " << i;
  }
  EXPECT_TRUE(DecodeSegmentHeader(header.substr(0, 31), &number).IsCorruption());
}

TEST(LogFormatTest, RecordsRoundTripArbitraryBytes) {
  const std::string nasty("\0\r\n\xff\x80 \"\\", 8);
  const std::string big(1 << 20, '\xab');
  std::string contents = Segment({
      {1, {{false, nasty, nasty}}},
      {2, {{true, nasty, {}}}},
      {3, {{false, "", ""}}},
      {4, {{false, "k", big}, {true, "gone", {}}, {false, "", nasty}}},
  });
  LogReader reader(contents);
  uint64_t number = 0;
  ASSERT_TRUE(reader.ReadHeader(&number).ok());
  LogRecord record;
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.version, 1u);
  ASSERT_EQ(record.ops.size(), 1u);
  EXPECT_FALSE(record.ops[0].is_delete);
  EXPECT_EQ(record.ops[0].key, nasty);
  EXPECT_EQ(record.ops[0].value, nasty);
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.version, 2u);
  EXPECT_TRUE(record.ops[0].is_delete);
  EXPECT_EQ(record.ops[0].key, nasty);
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.ops[0].key, "");
  EXPECT_EQ(record.ops[0].value, "");
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.version, 4u);
  ASSERT_EQ(record.ops.size(), 3u);
  EXPECT_EQ(record.ops[0].value, big);
  EXPECT_TRUE(record.ops[1].is_delete);
  EXPECT_EQ(record.ops[1].key, "gone");
  EXPECT_EQ(record.ops[2].value, nasty);
  EXPECT_FALSE(reader.Next(&record));
  EXPECT_FALSE(reader.damaged());
  EXPECT_EQ(reader.valid_bytes(), contents.size());
}

TEST(LogFormatTest, RecordBytesBoundHoldsForEveryRecordType) {
  const std::vector<std::vector<LogOp>> records = {
      {{false, "key", "value"}},
      {{true, "key", {}}},
      {{false, "", ""}},
      {{false, "k", "v"}, {true, "gone", {}}, {false, "", "x"}},
  };
  for (const std::vector<LogOp>& ops : records) {
    size_t data_bytes = 0;
    for (const LogOp& op : ops) data_bytes += op.key.size() + op.value.size();
    std::string encoded;
    AppendLogRecord(&encoded, 1, ops);
    EXPECT_LE(encoded.size(), LogRecordBytesBound(ops.size(), data_bytes)) << ops.size();
  }
}

TEST(LogFormatTest, MalformedBatchPayloadsAreRejected) {
  LogRecord record;
  std::string payload;
  EXPECT_FALSE(DecodeRecordPayload(RecordType::kBatch, payload, &record));
  PutFixed32(&payload, 0);
  EXPECT_FALSE(DecodeRecordPayload(RecordType::kBatch, payload, &record)) << "empty batch";
  payload.clear();
  PutFixed32(&payload, 1);
  payload.push_back(static_cast<char>(RecordType::kDelete));
  PutLengthPrefixed(&payload, "k");
  PutLengthPrefixed(&payload, "not empty");
  EXPECT_FALSE(DecodeRecordPayload(RecordType::kBatch, payload, &record)) << "delete with value";
  payload.clear();
  PutFixed32(&payload, 1);
  payload.push_back(9);
  PutLengthPrefixed(&payload, "k");
  PutLengthPrefixed(&payload, "");
  EXPECT_FALSE(DecodeRecordPayload(RecordType::kBatch, payload, &record)) << "bad op type";
  payload.clear();
  PutFixed32(&payload, 5);
  EXPECT_FALSE(DecodeRecordPayload(RecordType::kPut, payload, &record)) << "short put key";
}

TEST(LogFormatTest, HashIsStableAcrossBuilds) {
  // Pinned values: a change here re-routes every key of every data directory.
  EXPECT_EQ(KeyHash(""), 0x2d06800538d394c2ull);
  EXPECT_EQ(KeyHash("cairn"), KeyHash(std::string("cairn")));
  EXPECT_EQ(ShardOf("", 8), 0x2d06800538d394c2ull % 8);
}

}  // namespace
}  // namespace cairn::storage
