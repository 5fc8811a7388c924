// The event loops' timers (HttpClient::TimersFor): the scrape loops run their
// ticks there so a tick that starts a request needs no thread hand-off.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/mutex.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/http/event_loop.h"
#include "plugin/http/http_client.h"
#include "plugin/http/request.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::http {
namespace {

using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;

std::unique_ptr<HttpClient> NewClient(int loops) {
  HttpClientOptions options;
  options.num_loops = loops;
  auto client = HttpClient::Create(options);
  EXPECT_TRUE(client.ok());
  return std::move(client).value();
}

TEST(LoopTimersTest, RunsAtTheTimeOnTheLoopThatServesTheUrl) {
  auto server = TestHttpServer::Start([](const TestHttpRequest&) {
    TestHttpResponse r;
    r.body = "up 1\n";
    return r;
  });
  ASSERT_TRUE(server.ok());
  std::unique_ptr<HttpClient> client = NewClient(2);
  const std::string url = (*server)->Url("/metrics");
  TaskScheduler& timers = client->TimersFor(url);
  EXPECT_EQ(&timers, &client->TimersFor(url));  // Stable per URL.

  // A task started from the timer thread issues a request from there: it
  // must complete on the same thread (the loop that serves the URL).
  Mutex mu;
  std::thread::id timer_thread, done_thread;
  std::string body;
  absl::Notification done;
  const absl::Time start = absl::Now();
  absl::Time fired;
  timers.RunAt(start + absl::Milliseconds(50), [&] {
    {
      MutexLock lock(&mu);
      timer_thread = std::this_thread::get_id();
      fired = absl::Now();
    }
    Request request;
    request.url = url;
    request.timeout = absl::Seconds(5);
    client->Start(std::move(request), [&](Response response) {
      MutexLock lock(&mu);
      done_thread = std::this_thread::get_id();
      body = response.body;
      done.Notify();
    });
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  MutexLock lock(&mu);
  EXPECT_GE(fired - start, absl::Milliseconds(49));
  EXPECT_EQ(timer_thread, done_thread);
  EXPECT_NE(timer_thread, std::this_thread::get_id());
  EXPECT_EQ(body, "up 1\n");
}

TEST(LoopTimersTest, TasksRunInTimeOrderAndCancelledOnesNever) {
  std::unique_ptr<HttpClient> client = NewClient(1);
  TaskScheduler& timers = client->TimersFor("http://127.0.0.1:1/");
  Mutex mu;
  std::string order;
  absl::Notification last;
  const absl::Time now = absl::Now();
  timers.RunAt(now + absl::Milliseconds(60), [&] {
    MutexLock lock(&mu);
    order += "c";
    last.Notify();
  });
  uint64_t cancelled = timers.RunAt(now + absl::Milliseconds(20), [&] {
    MutexLock lock(&mu);
    order += "x";
  });
  timers.RunAt(now + absl::Milliseconds(40), [&] {
    MutexLock lock(&mu);
    order += "b";
  });
  timers.RunAt(now - absl::Seconds(1), [&] {  // Past: at once.
    MutexLock lock(&mu);
    order += "a";
  });
  EXPECT_TRUE(timers.Cancel(cancelled));
  EXPECT_FALSE(timers.Cancel(cancelled));  // Already gone.
  ASSERT_TRUE(last.WaitForNotificationWithTimeout(absl::Seconds(10)));
  MutexLock lock(&mu);
  EXPECT_EQ(order, "abc");
}

TEST(LoopTimersTest, CancelWaitsForARunningTask) {
  std::unique_ptr<HttpClient> client = NewClient(1);
  TaskScheduler& timers = client->TimersFor("http://127.0.0.1:1/");
  absl::Notification started;
  std::atomic<bool> finished{false};
  uint64_t id = timers.RunAt(absl::Now(), [&] {
    started.Notify();
    absl::SleepFor(absl::Milliseconds(200));
    finished = true;
  });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(timers.Cancel(id));
  EXPECT_TRUE(finished.load());
}

TEST(LoopTimersTest, PendingTasksAreDroppedAtStop) {
  std::unique_ptr<HttpClient> client = NewClient(1);
  TaskScheduler& timers = client->TimersFor("http://127.0.0.1:1/");
  std::atomic<int> runs{0};
  timers.RunAt(absl::Now() + absl::Hours(1), [&] { ++runs; });
  client->Stop();
  EXPECT_EQ(runs.load(), 0);
  // After Stop nothing is accepted.
  EXPECT_EQ(timers.RunAt(absl::Now(), [&] { ++runs; }), 0u);
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace promscrape::http

namespace promscrape::http {
namespace {

TEST(EpollTimeoutTest, KernelSlackNeverWakesTheLoopAfterTheDeadline) {
  // Linux may oversleep an epoll_wait by timeout/1000 (+ 50 us). Every wait
  // the loop asks for must end before its deadline even then, and a far
  // deadline must be reached in a few waits, the last one exact.
  using std::chrono::milliseconds;
  using std::chrono::nanoseconds;
  for (int64_t left_ms :
       {int64_t{0}, int64_t{1}, int64_t{50}, int64_t{51}, int64_t{200},
        int64_t{1000}, int64_t{15000}, int64_t{600000}, int64_t{86400000}}) {
    int64_t left_us = left_ms * 1000;
    int waits = 0;
    for (;;) {
      const int t = internal::EpollTimeoutMs(std::chrono::microseconds(left_us));
      ASSERT_GE(t, 0);
      ASSERT_LE(int64_t{t} * 1000, left_us + 999);
      ++waits;
      if (left_us <= internal::kExactWaitMs * 1000) {
        // The final wait: exact to the millisecond rounding.
        EXPECT_EQ(t, (left_us + 999) / 1000) << left_ms;
        break;
      }
      // The kernel's worst oversleep: 0.1% of the timeout, at least 50 us.
      const int64_t worst_wake_us =
          int64_t{t} * 1000 + std::max<int64_t>(t, 50);
      ASSERT_LT(worst_wake_us, left_us)
          << "from " << left_ms << " ms at " << left_us << " us";
      left_us -= worst_wake_us;
    }
    EXPECT_LE(waits, 6) << left_ms;
  }
  EXPECT_EQ(internal::EpollTimeoutMs(nanoseconds(1)), 1);  // rounded up
  EXPECT_EQ(internal::EpollTimeoutMs(nanoseconds(-5)), 0);
}

}  // namespace
}  // namespace promscrape::http
