#include "tests/testutil/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace promscrape::testing {

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    // Undo any signal mask the test runner set, so SIGTERM reaches sigwait.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // A test or benchmark killed by a signal (a timeout, a pkill) takes its
    // servers with it instead of leaving them bound to ports and burning
    // CPU. The signal follows the forking thread, and every caller starts
    // its children from the thread that owns them.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // it died before prctl
    execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  return std::unique_ptr<Subprocess>(new Subprocess(pid, fds[0]));
}

Subprocess::Subprocess(pid_t pid, int fd) : pid_(pid), fd_(fd) {
  reader_ = std::thread([this] { ReadOutput(); });
}

Subprocess::~Subprocess() {
  if (!Wait(absl::ZeroDuration()).has_value()) {
    kill(pid_, SIGKILL);
    Wait(absl::Seconds(30));
  }
  reader_.join();
  close(fd_);
}

void Subprocess::ReadOutput() {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    MutexLock lock(&mu_);
    if (n <= 0) {
      eof_ = true;
      cv_.SignalAll();
      return;
    }
    output_.append(buf, static_cast<size_t>(n));
    cv_.SignalAll();
  }
}

std::optional<std::string> Subprocess::WaitForOutput(const std::string& needle,
                                                     absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&mu_);
  while (true) {
    size_t at = output_.find(needle);
    if (at != std::string::npos) {
      size_t end = output_.find('\n', at);
      if (end != std::string::npos || eof_) {
        return output_.substr(at, end == std::string::npos ? end : end - at);
      }
    }
    if (eof_) return std::nullopt;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    cv_.WaitWithTimeout(&mu_, left);
  }
}

std::string Subprocess::output() const {
  MutexLock lock(&mu_);
  return output_;
}

void Subprocess::Signal(int signal) { kill(pid_, signal); }

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  {
    MutexLock lock(&mu_);
    if (exit_code_.has_value()) return exit_code_;
  }
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      int code = WIFEXITED(status) ? WEXITSTATUS(status)
                                   : 128 + WTERMSIG(status);
      MutexLock lock(&mu_);
      exit_code_ = code;
      // The child is gone, but its last output may still sit in the pipe:
      // let the reader drain it so output() is complete after Wait.
      absl::Time drain_deadline = absl::Now() + absl::Seconds(10);
      while (!eof_ && absl::Now() < drain_deadline) {
        cv_.WaitWithTimeout(&mu_, drain_deadline - absl::Now());
      }
      return code;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

int PickUnusedPort() {
  // Two picks in a row may get the same port back from the kernel once the
  // first is released; a process-wide record keeps the picks of one test
  // distinct (an etcd asked to listen twice on one port exits at once).
  static Mutex* mu = new Mutex();
  static auto* picked = new absl::flat_hash_set<int>();
  for (int attempt = 0;; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    const int port = ntohs(addr.sin_port);
    MutexLock lock(mu);
    if (picked->insert(port).second || attempt >= 100) return port;
  }
}

}  // namespace promscrape::testing
