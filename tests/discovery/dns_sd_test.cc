#include "plugin/discovery/dns_sd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/discovery_manager.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::discovery {
namespace {

using ::promscrape::testing::FakeClock;
using ::promscrape::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint16_t kA = 1, kNs = 2, kMx = 15, kAaaa = 28, kSrv = 33;

std::string EncodeName(const std::string& name) {
  std::string out;
  for (absl::string_view label : absl::StrSplit(name, '.', absl::SkipEmpty())) {
    out.push_back(static_cast<char>(label.size()));
    out.append(label.data(), label.size());
  }
  out.push_back('\0');
  return out;
}

std::string U16(int v) {
  return std::string{static_cast<char>((v >> 8) & 0xff),
                     static_cast<char>(v & 0xff)};
}

// A DNS server for tests on 127.0.0.1 (UDP): answers the records it was
// given, NXDOMAIN for names it has none of. One thread, stopped by the
// destructor.
class TestDnsServer {
 public:
  // (lower-case name without trailing dot, type) -> rdata of each record.
  using Records = std::map<std::pair<std::string, uint16_t>,
                           std::vector<std::string>>;

  explicit TestDnsServer(Records records) : records_(std::move(records)) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~TestDnsServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  int queries() const { return queries_.load(); }

  static std::string A(const std::string& ip) {
    in_addr a;
    inet_pton(AF_INET, ip.c_str(), &a);
    return std::string(reinterpret_cast<const char*>(&a), 4);
  }
  static std::string Aaaa(const std::string& ip) {
    in6_addr a;
    inet_pton(AF_INET6, ip.c_str(), &a);
    return std::string(reinterpret_cast<const char*>(&a), 16);
  }
  static std::string Srv(int port, const std::string& target) {
    return U16(10) + U16(5) + U16(port) + EncodeName(target);
  }
  static std::string Mx(const std::string& target) {
    return U16(10) + EncodeName(target);
  }
  static std::string Ns(const std::string& target) {
    return EncodeName(target);
  }

 private:
  void Run() {
    char buf[512];
    while (!stop_) {
      pollfd p = {fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      sockaddr_in from = {};
      socklen_t from_len = sizeof from;
      const ssize_t n = recvfrom(fd_, buf, sizeof buf, 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 17) continue;
      ++queries_;
      // The question: labels from offset 12, then type and class.
      size_t off = 12;
      std::vector<std::string> labels;
      while (off < static_cast<size_t>(n) && buf[off] != 0) {
        const size_t len = static_cast<unsigned char>(buf[off]);
        labels.emplace_back(buf + off + 1, len);
        off += len + 1;
      }
      const size_t question_end = off + 5;
      if (question_end > static_cast<size_t>(n)) continue;
      const uint16_t type = static_cast<uint16_t>(
          (static_cast<unsigned char>(buf[off + 1]) << 8) |
          static_cast<unsigned char>(buf[off + 2]));
      const std::string name =
          absl::AsciiStrToLower(absl::StrJoin(labels, "."));
      bool known_name = false;
      for (const auto& [key, rdata] : records_) {
        known_name = known_name || key.first == name;
      }
      std::vector<std::string> answers;
      auto it = records_.find({name, type});
      if (it != records_.end()) answers = it->second;
      std::string out(buf, 2);  // id
      out += U16(0x8180 | (known_name ? 0 : 3));
      out += U16(1) + U16(static_cast<int>(answers.size())) + U16(0) + U16(0);
      out.append(buf + 12, question_end - 12);
      for (const std::string& rdata : answers) {
        out += U16(0xc00c) + U16(type) + U16(1) + U16(0) + U16(60) +
               U16(static_cast<int>(rdata.size())) + rdata;
      }
      sendto(fd_, out.data(), out.size(), 0,
             reinterpret_cast<sockaddr*>(&from), from_len);
    }
  }

  const Records records_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

TestDnsServer::Records TestRecords() {
  return {
      {{"_api._tcp.example.test", kSrv},
       {TestDnsServer::Srv(9100, "a.example.test"),
        TestDnsServer::Srv(9200, "b.example.test")}},
      {{"a.example.test", kA},
       {TestDnsServer::A("10.0.0.1"), TestDnsServer::A("10.0.0.2")}},
      {{"v6.example.test", kAaaa}, {TestDnsServer::Aaaa("::1")}},
      {{"mail.example.test", kMx}, {TestDnsServer::Mx("mx1.example.test")}},
      {{"example.test", kNs}, {TestDnsServer::Ns("ns1.example.test")}},
  };
}

// Runs `resolver` until `done` or 10 s. The answers travel over real
// loopback sockets, so the test waits for them.
absl::StatusOr<TargetGroup> LookupAndWait(DnsResolver& resolver,
                                          const std::string& name,
                                          const std::string& type, int port) {
  std::optional<absl::StatusOr<TargetGroup>> result;
  resolver.Lookup(name, type, port,
                  [&](absl::StatusOr<TargetGroup> g) { result = std::move(g); });
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!result.has_value() && absl::Now() < deadline) {
    resolver.Process();
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (!result.has_value()) return absl::DeadlineExceededError("no answer");
  return *std::move(result);
}

std::vector<std::string> Render(const TargetGroup& g) {
  std::vector<std::string> out;
  for (const model::Labels& t : g.targets) out.push_back(t.ToString());
  return out;
}

TEST(DnsResolverTest, RecordTypesAndLabels) {
  TestDnsServer server(TestRecords());
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<DnsResolver> resolver,
      DnsResolver::Create(absl::StrCat("127.0.0.1:", server.port())));

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      TargetGroup srv,
      LookupAndWait(*resolver, "_api._tcp.example.test", "SRV", 0));
  EXPECT_EQ(srv.source, "_api._tcp.example.test");
  EXPECT_THAT(
      Render(srv),
      ElementsAre(
          "{__address__=\"a.example.test:9100\", "
          "__meta_dns_mx_record_target=\"\", "
          "__meta_dns_name=\"_api._tcp.example.test\", "
          "__meta_dns_ns_record_target=\"\", "
          "__meta_dns_srv_record_port=\"9100\", "
          "__meta_dns_srv_record_target=\"a.example.test.\"}",
          "{__address__=\"b.example.test:9200\", "
          "__meta_dns_mx_record_target=\"\", "
          "__meta_dns_name=\"_api._tcp.example.test\", "
          "__meta_dns_ns_record_target=\"\", "
          "__meta_dns_srv_record_port=\"9200\", "
          "__meta_dns_srv_record_target=\"b.example.test.\"}"));

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      TargetGroup a, LookupAndWait(*resolver, "a.example.test", "A", 80));
  ASSERT_EQ(a.targets.size(), 2u);
  EXPECT_EQ(a.targets[0].Get("__address__"), "10.0.0.1:80");
  EXPECT_EQ(a.targets[1].Get("__address__"), "10.0.0.2:80");
  EXPECT_EQ(a.targets[1].Get("__meta_dns_name"), "a.example.test");

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      TargetGroup v6, LookupAndWait(*resolver, "v6.example.test", "AAAA", 80));
  ASSERT_EQ(v6.targets.size(), 1u);
  EXPECT_EQ(v6.targets[0].Get("__address__"), "[::1]:80");

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      TargetGroup mx, LookupAndWait(*resolver, "mail.example.test", "MX", 25));
  ASSERT_EQ(mx.targets.size(), 1u);
  EXPECT_EQ(mx.targets[0].Get("__address__"), "mx1.example.test:25");
  EXPECT_EQ(mx.targets[0].Get("__meta_dns_mx_record_target"),
            "mx1.example.test.");

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      TargetGroup ns, LookupAndWait(*resolver, "example.test", "NS", 53));
  ASSERT_EQ(ns.targets.size(), 1u);
  EXPECT_EQ(ns.targets[0].Get("__address__"), "ns1.example.test:53");
  EXPECT_EQ(ns.targets[0].Get("__meta_dns_ns_record_target"),
            "ns1.example.test.");

  EXPECT_THAT(LookupAndWait(*resolver, "nope.example.test", "A", 80),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  // The name exists, the type has no record.
  EXPECT_THAT(LookupAndWait(*resolver, "a.example.test", "AAAA", 80),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("a.example")));
}

TEST(DnsSdManagerTest, DnsSdConfigsSyncTheirTargets) {
  TestDnsServer server(TestRecords());
  FakeClock clock;
  Logger logger([](LogLevel, absl::string_view) {});
  Mutex mu;
  std::vector<std::string> synced;
  Manager::Options options;
  options.clock = &clock;
  options.reloader_thread = false;
  options.dns_servers = absl::StrCat("127.0.0.1:", server.port());
  Manager manager(
      options,
      [&](const std::string& job, const std::vector<TargetGroup>& groups) {
        MutexLock lock(&mu);
        synced.clear();
        for (const TargetGroup& g : groups) {
          for (const model::Labels& t : g.targets) {
            synced.push_back(absl::StrCat(t.Get("__address__"), " ",
                                          t.Get("__meta_dns_name")));
          }
        }
      },
      logger);
  absl::StatusOr<config::PrometheusConfig> cfg = config::ParsePrometheusConfig(R"(
scrape_configs:
- job_name: dns
  dns_sd_configs:
  - names: [_api._tcp.example.test]
  - names: [a.example.test, nope.example.test]
    type: A
    port: 9100
    refresh_interval: 1m
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  manager.ApplyConfig(*cfg);
  const std::vector<std::string> want = {
      "a.example.test:9100 _api._tcp.example.test",
      "b.example.test:9200 _api._tcp.example.test",
      "10.0.0.1:9100 a.example.test", "10.0.0.2:9100 a.example.test"};
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool done = false;
  while (!done && absl::Now() < deadline) {
    manager.RunReloaderOnceForTest();
    manager.ReloadNow();
    MutexLock lock(&mu);
    done = synced == want;
    if (!done) absl::SleepFor(absl::Milliseconds(5));
  }
  MutexLock lock(&mu);
  EXPECT_EQ(synced, want);
}

TEST(DnsSdConfigTest, ValidatedLikePrometheus) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"- names: []", "must contain at least one SRV record name"},
      {"- names: [x]\n    type: A", "a port is required"},
      {"- names: [x]\n    type: TXT\n    port: 1",
       "invalid DNS-SD records type TXT"},
      {"- names: [x]\n    foo: 1", "field foo not found"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_THAT(config::ParsePrometheusConfig(absl::StrCat(
                    "scrape_configs:\n- job_name: j\n  dns_sd_configs:\n  ",
                    c.yaml, "\n")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.error)));
  }
  absl::StatusOr<config::PrometheusConfig> ok = config::ParsePrometheusConfig(
      "scrape_configs:\n- job_name: j\n  dns_sd_configs:\n"
      "  - {names: [x], type: mx, port: 25}\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->scrape_configs[0].dns_sd_configs[0].type, "MX");
}

}  // namespace
}  // namespace promscrape::discovery
