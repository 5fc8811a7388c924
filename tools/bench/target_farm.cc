// target_farm: many scrape targets in one process, for scrape_bench. Each
// target is a distinct 127.0.0.1:<port> listener serving a node_exporter-like
// Prometheus text payload of --series series whose values change on every
// scrape. One or a few epoll threads serve every connection (keep-alive).
// With --churn P, P% of each target's series are replaced on every scrape
// (round-robin over the series, by a changing `gen` label), so each series
// lives 100/P scrapes.
//
//   target_farm --targets 1000 --series 100 --ports_file ports.txt
//               --stats_file stats.txt [--threads 1] [--churn 0]
//               (one command line)
//
// The path's last segment names the scraper ("/metrics/promscrape",
// "/metrics/prometheus"), so two engines scraping the same farm are counted
// apart. Writes one port a line to --ports_file, then prints
// "target_farm: ready <n> targets" to stderr. On SIGUSR1 it writes
// --stats_file, one line per (target, scraper), with the counts so far (the
// end of a measurement window; it keeps serving):
//   <port> <scraper> <requests> <first_request_unix_ms> <last_request_unix_ms>
// On SIGTERM/SIGINT it writes the file unless SIGUSR1 did, and exits 0. RLIMIT_NOFILE is raised to its hard limit (each target needs
// one socket plus one per scraper).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "plugin/common/mutex.h"

namespace promscrape::bench {
namespace {

// Series names and labels shaped like node_exporter's, the same on every
// target (as on a fleet of hosts); values come from the scrape count.
class Payload {
 public:
  // `churn_percent`: the share of the series given a new identity on every
  // scrape (0: the same series forever).
  Payload(int series, double churn_percent) : churn_percent_(churn_percent) {
    struct Family {
      const char* name;
      const char* type;
      const char* help;
    };
    static constexpr Family kFamilies[] = {
        {"node_cpu_seconds_total", "counter",
         "Seconds the CPUs spent in each mode."},
        {"node_network_receive_bytes_total", "counter",
         "Network device statistic receive_bytes."},
        {"node_filesystem_avail_bytes", "gauge",
         "Filesystem space available to non-root users in bytes."},
        {"node_disk_io_time_seconds_total", "counter",
         "Total seconds spent doing I/Os."},
        {"node_memory_Active_bytes", "gauge",
         "Memory information field Active_bytes."},
    };
    static constexpr const char* kModes[] = {"idle",   "iowait", "irq",
                                             "nice",   "softirq", "steal",
                                             "system", "user"};
    constexpr int kNumFamilies = sizeof(kFamilies) / sizeof(kFamilies[0]);
    for (int f = 0; f < kNumFamilies; ++f) {
      const int count = series / kNumFamilies + (f < series % kNumFamilies);
      if (count == 0) continue;
      const Family& family = kFamilies[f];
      std::string header =
          absl::StrCat("# HELP ", family.name, " ", family.help, "\n# TYPE ",
                       family.name, " ", family.type, "\n");
      for (int i = 0; i < count; ++i) {
        std::string labels;
        switch (f) {
          case 0:
            labels = absl::StrCat("{cpu=\"", i / 8, "\",mode=\"", kModes[i % 8],
                                  "\"}");
            break;
          case 1:
            labels = absl::StrCat("{device=\"eth", i, "\"}");
            break;
          case 2:
            labels = absl::StrCat("{device=\"/dev/sd", i,
                                  "\",fstype=\"ext4\",mountpoint=\"/mnt/disk",
                                  i, "\"}");
            break;
          case 3:
            labels = absl::StrCat("{device=\"nvme", i, "n1\"}");
            break;
          default:
            labels = absl::StrCat("{numa_node=\"", i, "\"}");
        }
        lines_.push_back({i == 0 ? header : "",
                          absl::StrCat(family.name, labels, " "),
                          absl::StrCat(family.name,
                                       labels.substr(0, labels.size() - 1)),
                          family.type[0] == 'c'});
      }
    }
  }

  // The body of scrape number `scrape` (0, 1, ...) of target `target`.
  void Render(int target, uint64_t scrape, std::string* out) const {
    out->clear();
    uint64_t seed = static_cast<uint64_t>(target) * 2654435761u;
    const uint64_t n = lines_.size();
    // Replacements so far: series i has been replaced once for every j <
    // replaced with j % n == i.
    const uint64_t replaced = static_cast<uint64_t>(
        static_cast<double>(scrape) * static_cast<double>(n) * churn_percent_ /
        100.0);
    for (size_t i = 0; i < lines_.size(); ++i) {
      const Line& line = lines_[i];
      out->append(line.header);
      if (churn_percent_ > 0) {
        absl::StrAppend(out, line.series_open, ",gen=\"",
                        (replaced + n - 1 - i) / n, "\"} ");
      } else {
        out->append(line.series);
      }
      const uint64_t step = (seed + i * 40503u) % 997 + 1;
      if (line.counter) {
        absl::StrAppend(out, scrape * step, ".", (scrape * 7 + i) % 100);
      } else {
        absl::StrAppend(out, 1000000000 + ((scrape + 1) * step * 7919) % 100000);
      }
      out->push_back('\n');
    }
  }

 private:
  struct Line {
    std::string header;
    std::string series;       // name{labels} and a space
    std::string series_open;  // name{labels without the closing brace
    bool counter;
  };
  const double churn_percent_;
  std::vector<Line> lines_;
};

// Requests from one scraper to one target.
struct ScraperStats {
  uint64_t requests = 0;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
};

struct Target {
  int listen_fd = -1;
  int port = 0;
  // Keyed by the path's last segment. Touched only by the owning thread.
  std::map<std::string, ScraperStats> stats;
};

// One epoll loop serving a fixed subset of the targets and their
// connections. The targets are owned by the caller and outlive the worker.
// Everything but the snapshot queue is touched only by the worker's thread;
// Snapshot() and Stop() may be called from one other thread.
class Worker {
 public:
  Worker(const Payload& payload, std::vector<Target*> targets)
      : payload_(payload), targets_(std::move(targets)) {}

  absl::Status Start() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      return absl::InternalError(absl::StrCat("epoll: ", strerror(errno)));
    }
    snapshot_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (snapshot_fd_ < 0) {
      return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
    }
    Add(wake_fd_, &wake_tag_, EPOLLIN);
    Add(snapshot_fd_, &snapshot_tag_, EPOLLIN);
    for (Target* t : targets_) Add(t->listen_fd, t, EPOLLIN);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Stop() {
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
  }

  // The stats of this worker's targets as "<port> <scraper> ..." lines,
  // taken on the worker thread. Blocks until the worker answers; not after
  // Stop().
  std::string Snapshot() {
    auto done = std::make_shared<Notification>();
    auto lines = std::make_shared<std::string>();
    {
      MutexLock lock(&snapshot_mu_);
      snapshot_requests_.push_back({done, lines});
    }
    uint64_t one = 1;
    (void)!write(snapshot_fd_, &one, sizeof one);
    done->WaitForNotification();
    return *lines;
  }

  // The same lines, read after Stop().
  std::string FinalStats() const { return StatsLines(); }

 private:
  struct Conn {
    int fd;
    Target* target;
    std::string in;
    std::string out;
    size_t out_sent = 0;
    bool close_after = false;
  };

  void Add(int fd, void* tag, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = tag;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }

  bool IsTarget(void* tag) const {
    // Targets and connections are told apart by membership.
    return target_set_.contains(tag);
  }

  void Run() {
    for (Target* t : targets_) target_set_[t] = true;
    std::vector<epoll_event> events(1024);
    while (true) {
      int n = epoll_wait(epoll_fd_, events.data(),
                         static_cast<int>(events.size()), -1);
      if (n < 0 && errno == EINTR) continue;
      for (int i = 0; i < n; ++i) {
        void* tag = events[i].data.ptr;
        if (tag == &wake_tag_) {
          for (auto& [fd, conn] : conns_) close(fd);
          return;
        }
        if (tag == &snapshot_tag_) {
          AnswerSnapshots();
          continue;
        }
        if (IsTarget(tag)) {
          Accept(static_cast<Target*>(tag));
        } else {
          Conn* conn = static_cast<Conn*>(tag);
          if (events[i].events & (EPOLLERR | EPOLLHUP)) {
            Close(conn);
            continue;
          }
          if (events[i].events & EPOLLIN) {
            if (!OnReadable(conn)) continue;
          }
          if (events[i].events & EPOLLOUT) Flush(conn);
        }
      }
    }
  }

  std::string StatsLines() const {
    std::string out;
    for (const Target* t : targets_) {
      for (const auto& [scraper, st] : t->stats) {
        absl::StrAppend(&out, t->port, " ", scraper.empty() ? "-" : scraper,
                        " ", st.requests, " ", st.first_ms, " ", st.last_ms,
                        "\n");
      }
    }
    return out;
  }

  void AnswerSnapshots() {
    uint64_t n;
    (void)!read(snapshot_fd_, &n, sizeof n);
    std::vector<SnapshotRequest> requests;
    {
      MutexLock lock(&snapshot_mu_);
      requests.swap(snapshot_requests_);
    }
    for (SnapshotRequest& r : requests) {
      *r.lines = StatsLines();
      r.done->Notify();
    }
  }

  void Accept(Target* target) {
    while (true) {
      int fd = accept4(target->listen_fd, nullptr, nullptr,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto conn = std::make_unique<Conn>();
      conn->fd = fd;
      conn->target = target;
      Add(fd, conn.get(), EPOLLIN);
      conns_[fd] = std::move(conn);
    }
  }

  void Close(Conn* conn) {
    int fd = conn->fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(fd);
  }

  // Returns false when the connection was closed.
  bool OnReadable(Conn* conn) {
    char buf[16384];
    while (true) {
      ssize_t r = read(conn->fd, buf, sizeof buf);
      if (r > 0) {
        conn->in.append(buf, static_cast<size_t>(r));
        continue;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (r < 0 && errno == EINTR) continue;
      Close(conn);
      return false;
    }
    size_t end;
    while ((end = conn->in.find("\r\n\r\n")) != std::string::npos) {
      Respond(conn, absl::string_view(conn->in).substr(0, end));
      conn->in.erase(0, end + 4);
    }
    return Flush(conn);
  }

  void Respond(Conn* conn, absl::string_view head) {
    absl::string_view line = head.substr(0, head.find("\r\n"));
    absl::string_view path;
    size_t sp1 = line.find(' ');
    if (sp1 != absl::string_view::npos) {
      size_t sp2 = line.find(' ', sp1 + 1);
      path = line.substr(sp1 + 1, sp2 == absl::string_view::npos
                                      ? absl::string_view::npos
                                      : sp2 - sp1 - 1);
    }
    path = path.substr(0, path.find('?'));
    absl::string_view scraper = path.substr(path.rfind('/') + 1);
    ScraperStats& stats = conn->target->stats[std::string(scraper)];
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    if (stats.requests == 0) stats.first_ms = now_ms;
    stats.last_ms = now_ms;
    payload_.Render(conn->target->port, stats.requests, &body_);
    ++stats.requests;
    if (head.find("Connection: close") != absl::string_view::npos ||
        head.find("connection: close") != absl::string_view::npos) {
      conn->close_after = true;
    }
    absl::StrAppend(&conn->out,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; "
                    "version=0.0.4; charset=utf-8\r\nContent-Length: ",
                    body_.size(), "\r\n\r\n", body_);
  }

  // Returns false when the connection was closed.
  bool Flush(Conn* conn) {
    while (conn->out_sent < conn->out.size()) {
      ssize_t w = write(conn->fd, conn->out.data() + conn->out_sent,
                        conn->out.size() - conn->out_sent);
      if (w > 0) {
        conn->out_sent += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.ptr = conn;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn->fd, &ev);
        return true;
      }
      Close(conn);
      return false;
    }
    const bool had_pending = conn->out_sent > 0;
    conn->out.clear();
    conn->out_sent = 0;
    if (conn->close_after) {
      Close(conn);
      return false;
    }
    if (had_pending) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = conn;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn->fd, &ev);
    }
    return true;
  }

  const Payload& payload_;
  std::vector<Target*> targets_;
  std::map<void*, bool> target_set_;
  std::map<int, std::unique_ptr<Conn>> conns_;
  std::string body_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int snapshot_fd_ = -1;
  char wake_tag_ = 0;
  char snapshot_tag_ = 0;
  struct SnapshotRequest {
    std::shared_ptr<Notification> done;
    std::shared_ptr<std::string> lines;
  };
  Mutex snapshot_mu_;
  std::vector<SnapshotRequest> snapshot_requests_
      ABSL_GUARDED_BY(snapshot_mu_);
  std::thread thread_;
};

absl::StatusOr<int> Listen(Target& target) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("socket: ", strerror(errno)));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 1024) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string error = strerror(errno);
    close(fd);
    return absl::ResourceExhaustedError(
        absl::StrCat("bind/listen 127.0.0.1:0: ", error));
  }
  target.listen_fd = fd;
  target.port = ntohs(addr.sin_port);
  return target.port;
}

int Run(int argc, char** argv) {
  int64_t targets = 10, series = 100, threads = 1;
  double churn = 0;
  std::string ports_file, stats_file;
  // Flags come as "--name value" pairs.
  for (int i = 1; i < argc; i += 2) {
    absl::string_view arg = argv[i];
    std::string value = i + 1 < argc ? argv[i + 1] : "";
    bool ok = true;
    if (arg == "--targets") {
      ok = absl::SimpleAtoi(value, &targets) && targets > 0;
    } else if (arg == "--series") {
      ok = absl::SimpleAtoi(value, &series) && series > 0;
    } else if (arg == "--threads") {
      ok = absl::SimpleAtoi(value, &threads) && threads > 0;
    } else if (arg == "--churn") {
      ok = absl::SimpleAtod(value, &churn) && churn >= 0 && churn <= 100;
    } else if (arg == "--ports_file") {
      ports_file = value;
    } else if (arg == "--stats_file") {
      stats_file = value;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "target_farm: bad argument \"%s\" \"%s\"\n",
                   argv[i], value.c_str());
      return 2;
    }
  }
  if (ports_file.empty() || stats_file.empty()) {
    std::fprintf(stderr, "target_farm: --ports_file and --stats_file are "
                         "required\n");
    return 2;
  }

  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::vector<Target> all(static_cast<size_t>(targets));
  std::string ports;
  for (Target& t : all) {
    absl::StatusOr<int> port = Listen(t);
    if (!port.ok()) {
      std::fprintf(stderr, "target_farm: target %zu: %s (RLIMIT_NOFILE %llu)\n",
                   &t - all.data(), std::string(port.status().message()).c_str(),
                   static_cast<unsigned long long>(limit.rlim_cur));
      return 1;
    }
    absl::StrAppend(&ports, *port, "\n");
  }
  {
    std::ofstream out(ports_file);
    out << ports;
    out.close();
    if (!out) {
      std::fprintf(stderr, "target_farm: cannot write --ports_file %s\n",
                   ports_file.c_str());
      return 1;
    }
  }

  const Payload payload(static_cast<int>(series), churn);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int64_t w = 0; w < threads; ++w) {
    std::vector<Target*> mine;
    for (size_t i = static_cast<size_t>(w); i < all.size();
         i += static_cast<size_t>(threads)) {
      mine.push_back(&all[i]);
    }
    workers.push_back(std::make_unique<Worker>(payload, std::move(mine)));
    absl::Status started = workers.back()->Start();
    if (!started.ok()) {
      std::fprintf(stderr, "target_farm: %s\n",
                   std::string(started.message()).c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "target_farm: ready %lld targets\n",
               static_cast<long long>(targets));

  bool snapshot_written = false;
  while (true) {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    if (signal_number != SIGUSR1) break;
    std::string stats;
    for (auto& w : workers) stats += w->Snapshot();
    std::ofstream(stats_file) << stats;
    snapshot_written = true;
    std::fprintf(stderr, "target_farm: stats written\n");
  }
  for (auto& w : workers) w->Stop();
  if (!snapshot_written) {
    std::string stats;
    for (auto& w : workers) stats += w->FinalStats();
    std::ofstream(stats_file) << stats;
  }
  uint64_t total = 0;
  for (const Target& t : all) {
    for (const auto& [scraper, st] : t.stats) total += st.requests;
  }
  std::fprintf(stderr, "target_farm: stopped; %llu requests served\n",
               static_cast<unsigned long long>(total));
  return 0;
}

}  // namespace
}  // namespace promscrape::bench

int main(int argc, char** argv) { return promscrape::bench::Run(argc, argv); }
