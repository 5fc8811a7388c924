#include "plugin/common/byte_buffer.h"

#include <cstring>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace promscrape {
namespace {

TEST(ByteBufferTest, ExtendKeepsEarlierBytesAcrossGrowth) {
  ByteBuffer b;
  EXPECT_TRUE(b.empty());
  std::string want;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece(static_cast<size_t>(i % 37 + 1),
                            static_cast<char>('a' + i % 26));
    std::memcpy(b.Extend(piece.size()), piece.data(), piece.size());
    want += piece;
    ASSERT_EQ(b.view(), want);
    ASSERT_GE(b.capacity(), b.size());
  }
}

TEST(ByteBufferTest, ClearAndTruncateKeepCapacity) {
  ByteBuffer b;
  b.Append("hello world");
  const size_t capacity = b.capacity();
  b.Truncate(5);
  EXPECT_EQ(b.view(), "hello");
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), capacity);
  b.Append("");
  EXPECT_TRUE(b.empty());
  b.Append("x");
  EXPECT_EQ(b.view(), "x");
}

TEST(ByteBufferTest, MovesItsBytes) {
  ByteBuffer a;
  a.Append("abc");
  ByteBuffer b(std::move(a));
  EXPECT_EQ(b.view(), "abc");
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): documented.
  EXPECT_EQ(a.capacity(), 0u);
  a = std::move(b);
  EXPECT_EQ(a.view(), "abc");
  a.Append("d");  // A moved-from buffer grows again.
  b.Append("e");
  EXPECT_EQ(a.view(), "abcd");
  EXPECT_EQ(b.view(), "e");
}

}  // namespace
}  // namespace promscrape
