#include "protocol/stream_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
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

}  // namespace
}  // namespace cairn::protocol
