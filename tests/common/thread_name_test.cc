#include "plugin/common/thread_name.h"

#include <pthread.h>

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "plugin/common/executor.h"
#include "plugin/common/mutex.h"

namespace promscrape {
namespace {

std::string CurrentThreadName() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

TEST(ThreadNameTest, NamesTheCallingThreadCutTo15Bytes) {
  std::string seen;
  std::thread t([&] {
    SetCurrentThreadName("ps-a-very-long-thread-name");
    seen = CurrentThreadName();
  });
  t.join();
  EXPECT_EQ(seen, "ps-a-very-long-");
}

TEST(ThreadNameTest, ExecutorWorkersAreNamed) {
  Executor executor(1);
  std::string seen;
  // The project's Notification: visible to ThreadSanitizer.
  Notification done;
  executor.Submit([&] {
    seen = CurrentThreadName();
    done.Notify();
  });
  done.WaitForNotification();
  EXPECT_EQ(seen, "ps-worker");
}

}  // namespace
}  // namespace promscrape
