// The event loops' timers (HttpClient::TimersFor): the scrape loops run their
// ticks there so a tick that starts a request needs no thread hand-off.

#include <atomic>
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
