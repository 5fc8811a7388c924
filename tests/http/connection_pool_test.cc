#include "plugin/http/connection_pool.h"

#include <chrono>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "plugin/http/http1_connection.h"

namespace promscrape::http::internal {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// fd -1: nothing to close.
std::unique_ptr<Http1Connection> Conn(const std::string& key) {
  return std::make_unique<Http1Connection>(-1, key, 1024);
}

TEST(ConnectionPoolTest, TakesTheMostRecentConnectionOfTheTarget) {
  ConnectionPool pool(10, minutes(5));
  SteadyTime now{};
  auto a1 = Conn("a:1");
  auto a2 = Conn("a:1");
  Http1Connection* first = a1.get();
  Http1Connection* second = a2.get();
  EXPECT_EQ(pool.Put(std::move(a1), now), nullptr);
  EXPECT_EQ(pool.Put(std::move(a2), now + seconds(1)), nullptr);
  EXPECT_EQ(pool.Put(Conn("b:1"), now), nullptr);
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.Take("a:1").get(), second);
  EXPECT_EQ(pool.Take("a:1").get(), first);
  EXPECT_EQ(pool.Take("a:1"), nullptr);
  EXPECT_EQ(pool.Take("c:1"), nullptr);
  EXPECT_EQ(pool.size(), 1u);
}

TEST(ConnectionPoolTest, EvictsTheLeastRecentlyUsedBeyondTheLimit) {
  ConnectionPool pool(2, minutes(5));
  SteadyTime now{};
  auto oldest = Conn("a:1");
  Http1Connection* raw = oldest.get();
  pool.Put(std::move(oldest), now);
  pool.Put(Conn("b:1"), now + seconds(1));
  std::unique_ptr<Http1Connection> evicted =
      pool.Put(Conn("c:1"), now + seconds(2));
  EXPECT_EQ(evicted.get(), raw);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.Take("a:1"), nullptr);
}

TEST(ConnectionPoolTest, ExpiresConnectionsIdleForTheTimeout) {
  ConnectionPool pool(10, minutes(5));
  SteadyTime now{};
  pool.Put(Conn("a:1"), now);
  pool.Put(Conn("b:1"), now + minutes(1));
  EXPECT_EQ(pool.NextExpiry(), now + minutes(5));
  EXPECT_EQ(pool.PopExpired(now + minutes(4)), nullptr);
  ASSERT_NE(pool.PopExpired(now + minutes(5)), nullptr);
  EXPECT_EQ(pool.PopExpired(now + minutes(5)), nullptr);
  EXPECT_EQ(pool.NextExpiry(), now + minutes(6));
  ASSERT_NE(pool.PopExpired(now + minutes(6)), nullptr);
  EXPECT_EQ(pool.NextExpiry(), std::nullopt);
}

TEST(ConnectionPoolTest, RemovesAConnectionClosedWhileIdle) {
  ConnectionPool pool(10, minutes(5));
  SteadyTime now{};
  auto a1 = Conn("a:1");
  Http1Connection* raw = a1.get();
  pool.Put(std::move(a1), now);
  pool.Put(Conn("a:1"), now);
  EXPECT_EQ(pool.Remove(raw).get(), raw);
  EXPECT_EQ(pool.size(), 1u);
  ASSERT_NE(pool.Take("a:1"), nullptr);
  EXPECT_EQ(pool.NextExpiry(), std::nullopt);
}

}  // namespace
}  // namespace promscrape::http::internal
