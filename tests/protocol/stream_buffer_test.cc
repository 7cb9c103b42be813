#include "protocol/stream_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace cairn::protocol {
namespace {

TEST(StreamBufferTest, AppendConsumeAndClear) {
  StreamBuffer buffer;
  EXPECT_EQ(buffer.unread(), "");
  buffer.Append("hello ");
  buffer.Append("world");
  EXPECT_EQ(buffer.unread(), "hello world");
  buffer.Consume(6);
  EXPECT_EQ(buffer.unread(), "world");
  buffer.Append("!");  // reclaims the consumed prefix
  EXPECT_EQ(buffer.unread(), "world!");
  buffer.Consume(6);
  EXPECT_EQ(buffer.unread(), "");
  buffer.Append("again");
  EXPECT_EQ(buffer.unread(), "again");
  buffer.Clear();
  EXPECT_EQ(buffer.unread(), "");
}

TEST(StreamBufferTest, InterleavedUseKeepsEveryByteInOrder) {
  StreamBuffer buffer;
  std::string expected;
  std::string consumed;
  for (int i = 0; i < 10000; ++i) {
    const std::string chunk(static_cast<size_t>(i % 7), static_cast<char>('a' + i % 26));
    buffer.Append(chunk);
    expected += chunk;
    const size_t take = buffer.unread().size() / 2 + (i % 3 == 0 ? 1 : 0);
    const size_t n = std::min(take, buffer.unread().size());
    consumed.append(buffer.unread().substr(0, n));
    buffer.Consume(n);
  }
  consumed.append(buffer.unread());
  EXPECT_EQ(consumed, expected);
}

// The work is linear: reclaiming the consumed prefix moves at most the bytes
// it frees, so the bytes moved never exceed the bytes appended. Here the
// unread part keeps growing; a buffer that compacted on every Append() or
// erased on every Consume() would move it again each time.
TEST(StreamBufferTest, MovesNoMoreBytesThanWereAppended) {
  StreamBuffer buffer;
  uint64_t appended = 0;
  for (int i = 0; i < 10000; ++i) {
    buffer.Append("abc");
    appended += 3;
    buffer.Consume(std::min<size_t>(2, buffer.unread().size()));
    ASSERT_LE(buffer.bytes_moved(), appended) << "after " << i + 1 << " appends";
  }
  const uint64_t moved = buffer.bytes_moved();
  EXPECT_GT(moved, 0u);  // the compaction path did run
  buffer.Clear();
  EXPECT_EQ(buffer.bytes_moved(), moved);  // Clear() moves nothing and keeps the count
}

}  // namespace
}  // namespace cairn::protocol
