// Hammers a local keep-alive HTTP server with `--concurrency` requests in
// flight through one HttpClient and prints requests/s and CPU per request.
//
//   bazel run -c opt //tools/bench:http_bench -- --requests=100000
//       --concurrency=1000 --body_bytes=20000 [--targets=1] [--gzip]
//       [--loops=1]
//   (one command line)
//
// The servers (tests/testutil/test_http_server, one epoll thread each, one
// per --targets) run in the same process, so "process CPU" includes them; "loop
// CPU" is the client's event-loop thread alone (callbacks included).

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

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
  Bench(const Flags& flags, HttpClient& client, std::vector<std::string> urls)
      : flags_(flags), client_(client), urls_(std::move(urls)) {}

  void Run() {
    {
      MutexLock lock(&mu_);
      for (int64_t i = 0; i < flags_.concurrency && issued_ < flags_.requests;
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
    if (++completed_ == flags_.requests) done_.Notify();
    if (issued_ < flags_.requests) Issue(std::move(response.body));
  }

  const Flags flags_;
  HttpClient& client_;
  const std::vector<std::string> urls_;
  Mutex mu_;
  int64_t issued_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<long> loop_tid_{0};
  std::atomic<int64_t> failures_{0};
  Notification done_;
};

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  std::string body = MetricsBody(flags.body_bytes);
  std::string wire = flags.gzip ? Gzip(body) : body;
  // Each test server listens on its own 127.0.0.1 port: one "target".
  auto handler = [&](const testing::TestHttpRequest&) {
    testing::TestHttpResponse response;
    response.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
    if (flags.gzip) response.headers.push_back({"Content-Encoding", "gzip"});
    response.body = wire;
    return response;
  };
  std::vector<std::unique_ptr<testing::TestHttpServer>> servers;
  std::vector<std::string> urls;
  for (int64_t i = 0; i < flags.targets; ++i) {
    auto server = testing::TestHttpServer::Start(handler);
    if (!server.ok()) {
      std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
      return 1;
    }
    urls.push_back((*server)->Url("/metrics"));
    servers.push_back(std::move(server).value());
  }
  HttpClientOptions options;
  options.num_loops = static_cast<int>(flags.loops);
  auto client = HttpClient::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }

  Bench bench(flags, **client, urls);
  double cpu_start = ProcessCpuSeconds();
  absl::Time start = absl::Now();
  bench.Run();
  double wall = absl::ToDoubleSeconds(absl::Now() - start);
  double cpu = ProcessCpuSeconds() - cpu_start;
  double loop_cpu = ThreadCpuSeconds(bench.loop_tid());
  (*client)->Stop();

  int connections = 0;
  for (const auto& server : servers) connections += server->connections();
  double n = static_cast<double>(flags.requests);
  std::printf(
      "requests=%lld concurrency=%lld body=%zu bytes (%zu on the wire%s) "
      "loops=%lld targets=%lld connections=%d failures=%lld\n"
      "wall=%.3f s  throughput=%.0f req/s\n"
      "process CPU=%.1f us/req (client+server)  loop CPU=%.1f us/req "
      "(client event loop only%s)\n",
      static_cast<long long>(flags.requests),
      static_cast<long long>(flags.concurrency), body.size(), wire.size(),
      flags.gzip ? ", gzip" : "", static_cast<long long>(flags.loops),
      static_cast<long long>(flags.targets), connections,
      static_cast<long long>(bench.failures()), wall, n / wall, cpu / n * 1e6,
      loop_cpu / n * 1e6, flags.loops > 1 ? ", one loop" : "");
  return bench.failures() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace promscrape::http

int main(int argc, char** argv) { return promscrape::http::Main(argc, argv); }
