// Hammers local keep-alive HTTP targets with `--concurrency` requests in
// flight through one HttpClient and prints requests/s and CPU per request,
// for the native HTTP/1.1 transport and for libcurl in the same run (same
// targets, same load), then their ratio:
//
//   RESULT transport=native ... loop_cpu_us_per_request=... 
//   RESULT transport=curl ...
//   RATIO curl/native loop_cpu=... process_cpu=...
//
//   bazel run -c opt //tools/bench:http_bench -- --requests=100000
//       --concurrency=1000 --body_bytes=20000 --targets=1000 [--gzip]
//       [--loops=1] [--transport=both|native|curl]
//   (one command line)
//
// Each transport first sends one request per target (connections are set
// up then) and is measured after that, in keep-alive steady state. The
// targets are ports of in-process test servers (tests/testutil/
// test_http_server, one epoll thread per 1,000 ports), so "process CPU"
// includes them; "loop CPU" (cpu_us_per_request) is the client's
// event-loop thread alone, callbacks included. RLIMIT_NOFILE is raised to
// its hard limit (each target costs three descriptors).
//
// Figures (2-core VM, -c opt, --requests=50000/100000 --concurrency=1000
// --body_bytes=20000, uptime load 2.8-2.9 from other jobs):
//   1,000 targets: native 22.4 us/request, curl 94.0 (ratio 4.2)
//   5,000 targets: native 22.8 us/request, curl 199.8 (ratio 8.8)

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"
#include "plugin/http/http_client.h"
#include "plugin/http/request.h"
#include "plugin/http/scrape_headers.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::http {
namespace {

struct Flags {
  int64_t requests = 20000;
  int64_t concurrency = 500;
  int64_t body_bytes = 20000;
  int64_t loops = 1;
  // Distinct targets (host:port); curl's per-host connection lookup is
  // linear, so thousands of connections to one port is unrealistic.
  int64_t targets = 1;
  bool gzip = false;
  std::string transport = "both";
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    auto value = [&](absl::string_view name, int64_t* out) {
      std::string prefix = absl::StrCat("--", name, "=");
      if (!absl::StartsWith(arg, prefix)) return false;
      if (!absl::SimpleAtoi(arg.substr(prefix.size()), out)) {
        std::fprintf(stderr, "bad value in %s\n", argv[i]);
        std::exit(2);
      }
      return true;
    };
    if (value("requests", &flags.requests) ||
        value("concurrency", &flags.concurrency) ||
        value("body_bytes", &flags.body_bytes) ||
        value("loops", &flags.loops) || value("targets", &flags.targets)) {
      continue;
    }
    if (arg == "--gzip") {
      flags.gzip = true;
      continue;
    }
    if (absl::ConsumePrefix(&arg, "--transport=")) {
      if (arg != "both" && arg != "native" && arg != "curl") {
        std::fprintf(stderr, "bad value in %s\n", argv[i]);
        std::exit(2);
      }
      flags.transport = std::string(arg);
      continue;
    }
    std::fprintf(stderr, "unknown flag %s\n", argv[i]);
    std::exit(2);
  }
  return flags;
}

// Prometheus-like exposition text of about `bytes` bytes.
std::string MetricsBody(int64_t bytes) {
  std::string body;
  for (int i = 0; static_cast<int64_t>(body.size()) < bytes; ++i) {
    absl::StrAppend(&body, "http_requests_total{code=\"200\",handler=\"/h", i,
                    "\"} ", i * 7, "\n");
  }
  return body;
}

std::string Gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
               Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = data.size();
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = out.size();
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// utime + stime of one thread of this process, from /proc.
double ThreadCpuSeconds(long tid) {
  std::ifstream stat(absl::StrCat("/proc/self/task/", tid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)),
                   std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields after the command: state is 3rd; utime 14th, stime 15th overall.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atof(field.c_str());
    if (i == 15) stime = std::atof(field.c_str());
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

class Bench {
 public:
  // Sends `requests` requests round-robin over `urls`, `concurrency` at a
  // time.
  Bench(int64_t requests, int64_t concurrency, HttpClient& client,
        const std::vector<std::string>& urls)
      : requests_(requests),
        concurrency_(concurrency),
        client_(client),
        urls_(urls) {}

  void Run() {
    {
      MutexLock lock(&mu_);
      for (int64_t i = 0; i < concurrency_ && issued_ < requests_;
           ++i) {
        Issue(std::string());
      }
    }
    done_.WaitForNotification();
  }

  long loop_tid() const { return loop_tid_.load(); }
  int64_t failures() const { return failures_.load(); }

 private:
  void Issue(std::string buffer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++issued_;
    Request request;
    request.url = urls_[issued_ % urls_.size()];
    request.headers =
        ScrapeHeaders("text/plain;version=0.0.4", absl::Seconds(10),
                      /*enable_compression=*/true);
    request.timeout = absl::Seconds(10);
    request.buffer = std::move(buffer);
    client_.Start(std::move(request),
                  [this](Response response) { OnDone(std::move(response)); });
  }

  // Runs on the loop thread; reuses the finished body as the next buffer.
  void OnDone(Response response) {
    loop_tid_.store(static_cast<long>(syscall(SYS_gettid)));
    if (!response.status.ok()) {
      if (failures_.fetch_add(1) == 0) {
        std::fprintf(stderr, "first failure: %s\n",
                     response.status.ToString().c_str());
      }
    }
    MutexLock lock(&mu_);
    if (++completed_ == requests_) done_.Notify();
    if (issued_ < requests_) Issue(std::move(response.body));
  }

  const int64_t requests_;
  const int64_t concurrency_;
  HttpClient& client_;
  const std::vector<std::string>& urls_;
  Mutex mu_;
  int64_t issued_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<long> loop_tid_{0};
  std::atomic<int64_t> failures_{0};
  Notification done_;
};

struct Result {
  double wall = 0;
  double process_cpu = 0;
  double loop_cpu = 0;
  int64_t failures = 0;
};

// Warms every target's connection up, then measures `flags.requests`.
Result RunTransport(const Flags& flags, bool native,
                    const std::vector<std::string>& urls) {
  HttpClientOptions options;
  options.num_loops = static_cast<int>(flags.loops);
  options.native_http1 = native;
  auto client = HttpClient::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    std::exit(1);
  }
  Result result;
  Bench warmup(static_cast<int64_t>(urls.size()), flags.concurrency, **client,
               urls);
  warmup.Run();
  result.failures += warmup.failures();
  double loop_start = ThreadCpuSeconds(warmup.loop_tid());

  Bench bench(flags.requests, flags.concurrency, **client, urls);
  double cpu_start = ProcessCpuSeconds();
  absl::Time start = absl::Now();
  bench.Run();
  result.wall = absl::ToDoubleSeconds(absl::Now() - start);
  result.process_cpu = ProcessCpuSeconds() - cpu_start;
  result.loop_cpu = ThreadCpuSeconds(bench.loop_tid()) - loop_start;
  result.failures += bench.failures();
  (*client)->Stop();
  return result;
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  std::string body = MetricsBody(flags.body_bytes);
  std::string wire = flags.gzip ? Gzip(body) : body;
  auto handler = [&](const testing::TestHttpRequest&) {
    testing::TestHttpResponse response;
    response.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
    if (flags.gzip) response.headers.push_back({"Content-Encoding", "gzip"});
    response.body = wire;
    return response;
  };
  // Each port is one target; one server thread per 1,000 of them.
  constexpr int64_t kPortsPerServer = 1000;
  std::vector<std::unique_ptr<testing::TestHttpServer>> servers;
  std::vector<std::string> urls;
  for (int64_t first = 0; first < flags.targets; first += kPortsPerServer) {
    int ports = static_cast<int>(
        std::min(kPortsPerServer, flags.targets - first));
    auto server = testing::TestHttpServer::StartOnPorts(handler, ports);
    if (!server.ok()) {
      std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
      return 1;
    }
    for (int i = 0; i < ports; ++i) urls.push_back((*server)->Url("/metrics", i));
    servers.push_back(std::move(server).value());
  }

  std::vector<bool> transports;
  if (flags.transport != "curl") transports.push_back(true);
  if (flags.transport != "native") transports.push_back(false);
  std::vector<Result> results;
  int64_t failures = 0;
  double n = static_cast<double>(flags.requests);
  for (bool native : transports) {
    int connections_before = 0;
    for (const auto& server : servers) connections_before += server->connections();
    Result r = RunTransport(flags, native, urls);
    int connections = -connections_before;
    for (const auto& server : servers) connections += server->connections();
    failures += r.failures;
    results.push_back(r);
    std::printf(
        "RESULT transport=%s requests=%lld concurrency=%lld targets=%lld "
        "body=%zu wire=%zu%s loops=%lld connections=%d failures=%lld "
        "wall_s=%.3f req_per_s=%.0f cpu_us_per_request=%.2f "
        "process_cpu_us_per_request=%.2f\n",
        native ? "native" : "curl", static_cast<long long>(flags.requests),
        static_cast<long long>(flags.concurrency),
        static_cast<long long>(flags.targets), body.size(), wire.size(),
        flags.gzip ? " gzip" : "", static_cast<long long>(flags.loops),
        connections, static_cast<long long>(r.failures), r.wall, n / r.wall,
        r.loop_cpu / n * 1e6, r.process_cpu / n * 1e6);
    std::fflush(stdout);
  }
  if (results.size() == 2) {
    std::printf(
        "RATIO curl/native cpu_us_per_request=%.2f "
        "process_cpu_us_per_request=%.2f req_per_s=%.2f\n",
        results[1].loop_cpu / results[0].loop_cpu,
        results[1].process_cpu / results[0].process_cpu,
        results[0].wall / results[1].wall);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace promscrape::http

int main(int argc, char** argv) { return promscrape::http::Main(argc, argv); }
