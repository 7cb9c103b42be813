#include "protocol/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace cairn::protocol {
namespace {

using namespace std::literals;

// Feeds bytes in chunks of at most `chunk` bytes, draining after each Feed.
std::vector<std::string> SplitAll(LineSplitter* splitter, std::string_view bytes, size_t chunk) {
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < bytes.size(); pos += chunk) {
    splitter->Feed(bytes.substr(pos, chunk));
    std::string_view line;
    while (splitter->Next(&line) == LineSplitter::Event::kLine) lines.emplace_back(line);
  }
  return lines;
}

TEST(LineSplitterTest, SplitsOnNewlineAndDropsOneCarriageReturn) {
  LineSplitter splitter(100);
  const std::vector<std::string> lines =
      SplitAll(&splitter, "GET a\nPUT b c\r\n\n\r\nx\r\r\nin\rside\nno end yet", 1000);
  const std::vector<std::string> expected = {"GET a", "PUT b c", "", "", "x\r", "in\rside"};
  EXPECT_EQ(lines, expected);
  EXPECT_EQ(splitter.buffered_bytes(), "no end yet"sv.size());
}

TEST(LineSplitterTest, SplittingAtEveryByteBoundaryGivesTheSameLines) {
  const std::string stream = "PING\r\nGET \"a\\x00\"\nSET k v\r\n\nSCAN \"\" \"\" 10\r\n";
  LineSplitter whole_splitter(64);
  const std::vector<std::string> whole = SplitAll(&whole_splitter, stream, stream.size());
  ASSERT_EQ(whole.size(), 5u);
  for (size_t split = 0; split <= stream.size(); ++split) {
    LineSplitter splitter(64);
    std::vector<std::string> lines = SplitAll(&splitter, stream.substr(0, split), 1000);
    std::vector<std::string> rest = SplitAll(&splitter, stream.substr(split), 1000);
    lines.insert(lines.end(), rest.begin(), rest.end());
    EXPECT_EQ(lines, whole) << "split at " << split;
  }
  LineSplitter byte_splitter(64);
  EXPECT_EQ(SplitAll(&byte_splitter, stream, 1), whole);
}

TEST(LineSplitterTest, LineOfExactlyTheLimitIsAccepted) {
  for (std::string_view ending : {"\n"sv, "\r\n"sv}) {
    LineSplitter splitter(8);
    const std::string line(8, 'x');
    EXPECT_EQ(SplitAll(&splitter, line + std::string(ending), 1), std::vector<std::string>{line});
  }
}

TEST(LineSplitterTest, LongerLineIsTooLargeAndFatal) {
  LineSplitter splitter(8);
  splitter.Feed("ok\n123456789\nPING\n");
  std::string_view line;
  ASSERT_EQ(splitter.Next(&line), LineSplitter::Event::kLine);
  EXPECT_EQ(line, "ok");
  ASSERT_EQ(splitter.Next(&line), LineSplitter::Event::kTooLong);
  EXPECT_EQ(splitter.error().status, StatusCode::kTooLarge);
  EXPECT_EQ(splitter.error().message,
            "line longer than the limit of 8 bytes; closing the connection");
  EXPECT_EQ(splitter.buffered_bytes(), 0u);
  splitter.Feed("PING\n");
  EXPECT_EQ(splitter.Next(&line), LineSplitter::Event::kTooLong);
  EXPECT_EQ(splitter.buffered_bytes(), 0u);
}

TEST(LineSplitterTest, TooLongIsReportedBeforeTheNewlineArrives) {
  LineSplitter splitter(8);
  std::string_view line;
  splitter.Feed("12345678");
  EXPECT_EQ(splitter.Next(&line), LineSplitter::Event::kNeedMore);
  splitter.Feed("\r");  // may still be a "\r\n" ending
  EXPECT_EQ(splitter.Next(&line), LineSplitter::Event::kNeedMore);
  splitter.Feed("9");
  EXPECT_EQ(splitter.Next(&line), LineSplitter::Event::kTooLong);
  EXPECT_EQ(splitter.buffered_bytes(), 0u);
}

TEST(LineSplitterTest, NinthByteWithoutNewlineIsTooLong) {
  LineSplitter splitter(8);
  std::string_view line;
  splitter.Feed("123456789");
  EXPECT_EQ(splitter.Next(&line), LineSplitter::Event::kTooLong);
}

// Linearity is asserted on the work done, never on the clock: the splitter
// may look at each byte fed once while searching for '\n', and its buffer may
// move no more bytes than were fed. Both are checked as the lines come out,
// so a quadratic splitter fails within a few lines or bytes.

// A buffer that erased each line from the front, or compacted on every Feed(),
// moves about half the stream per line.
TEST(LineSplitterTest, ManyLinesFromOneReadAreScannedAndMovedOnce) {
  constexpr int kLines = 10000;
  std::string stream;
  for (int i = 0; i < kLines; ++i) stream += "PING\n";
  LineSplitter splitter(64);
  splitter.Feed(stream);
  std::string_view line;
  int count = 0;
  while (splitter.Next(&line) == LineSplitter::Event::kLine) {
    ASSERT_EQ(line, "PING");
    if (++count % 10 == 0) splitter.Feed("");  // feeds between lines compact the buffer
    ASSERT_LE(splitter.bytes_scanned(), stream.size()) << "after " << count << " lines";
    ASSERT_LE(splitter.buffer_bytes_moved(), stream.size()) << "after " << count << " lines";
  }
  EXPECT_EQ(count, kLines);
  EXPECT_EQ(splitter.bytes_scanned(), stream.size());
  EXPECT_GT(splitter.buffer_bytes_moved(), 0u);  // the compaction path did run
}

// A splitter that rescanned the pending line from its start on every Feed()
// would look at about n^2 / 2 bytes here.
TEST(LineSplitterTest, ALongLineFedByteByByteIsScannedOnce) {
  constexpr size_t kLength = 64 << 10;
  LineSplitter splitter(kLength);
  std::string_view line;
  for (size_t i = 0; i < kLength; ++i) {
    splitter.Feed("x");
    ASSERT_EQ(splitter.Next(&line), LineSplitter::Event::kNeedMore);
    ASSERT_LE(splitter.bytes_scanned(), i + 1) << "after " << i + 1 << " bytes";
  }
  splitter.Feed("\n");
  ASSERT_EQ(splitter.Next(&line), LineSplitter::Event::kLine);
  EXPECT_EQ(line.size(), kLength);  // not EXPECT_EQ on the line: a failure would print it
  EXPECT_EQ(line.find_first_not_of('x'), std::string_view::npos);
  EXPECT_EQ(splitter.bytes_scanned(), kLength + 1);
  EXPECT_EQ(splitter.buffer_bytes_moved(), 0u);
}

}  // namespace
}  // namespace cairn::protocol
