#ifndef TESTS_TESTUTIL_SUBPROCESS_H_
#define TESTS_TESTUTIL_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"

namespace promscrape::testing {

// A child process whose stderr (and stdout) the test reads, for tests that
// run a real binary (scrape_host, node_exporter, prometheus) the way a user
// does. The destructor kills a child that is still running.
//
// Thread-safe.
class Subprocess {
 public:
  // Starts argv[0] (a path) with `argv`.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv);

  ~Subprocess();

  // Waits until the output contains `needle`; returns the text from the
  // needle to the end of its line, or nullopt on timeout or exit.
  std::optional<std::string> WaitForOutput(const std::string& needle,
                                           absl::Duration timeout);
  std::string output() const;

  void Signal(int signal);
  // Waits for exit (and for the output pipe to drain, so output() is
  // complete); returns the exit code (128+signal when killed) or nullopt on
  // timeout.
  std::optional<int> Wait(absl::Duration timeout);

  pid_t pid() const { return pid_; }

 private:
  Subprocess(pid_t pid, int fd);
  void ReadOutput();

  const pid_t pid_;
  const int fd_;
  std::thread reader_;
  mutable Mutex mu_;
  CondVar cv_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<int> exit_code_ ABSL_GUARDED_BY(mu_);
};

// A free TCP port on 127.0.0.1 (bound, read, released: a tiny race window).
int PickUnusedPort();

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_SUBPROCESS_H_
