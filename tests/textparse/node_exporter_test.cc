// Scrapes a live node_exporter twice, as text and as protobuf, and checks that
// both parsers see the same series. Needs /usr/bin/prometheus-node-exporter
// (Debian's prometheus-node-exporter; CI installs it) or the path in
// $PROMSCRAPE_NODE_EXPORTER. The test fails, never skips, without it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/textparse/content_type.h"
#include "plugin/textparse/go_float.h"
#include "plugin/textparse/parser.h"

extern char** environ;

namespace promscrape::textparse {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

struct Response {
  bool ok = false;
  std::string content_type;
  std::string body;
};

// A minimal HTTP/1.0 GET: the server closes the connection after the body,
// so no chunked decoding is needed (no Accept-Encoding: no gzip).
Response HttpGet(int port, const std::string& accept) {
  Response r;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return r;
  }
  std::string req = absl::StrCat("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1:",
                                 port, "\r\nAccept: ", accept, "\r\n\r\n");
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return r;
  }
  std::string raw;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    raw.append(buf, n);
  }
  close(fd);
  size_t hdr_end = raw.find("\r\n\r\n");
  if (hdr_end == std::string::npos || raw.rfind("HTTP/1.", 0) != 0 ||
      raw.find(" 200 ") > raw.find("\r\n")) {
    return r;
  }
  std::string headers = raw.substr(0, hdr_end);
  for (size_t pos = 0; pos < headers.size();) {
    size_t eol = headers.find("\r\n", pos);
    if (eol == std::string::npos) eol = headers.size();
    std::string line = headers.substr(pos, eol - pos);
    std::string lower = line;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    if (lower.rfind("content-type:", 0) == 0) {
      r.content_type = line.substr(13);
      while (!r.content_type.empty() && r.content_type[0] == ' ') {
        r.content_type.erase(0, 1);
      }
    }
    pos = eol + 2;
  }
  r.body = raw.substr(hdr_end + 4);
  r.ok = true;
  return r;
}

// Series identity as the TSDB would key it. `le`/`quantile` are normalised:
// Prometheus 2.42 keeps text values as written ("0.5", "1") but formats
// protobuf ones ("0.5", "1.0"), a real difference this test is not about.
std::set<std::string> SeriesSet(const Response& r, Format* format) {
  std::set<std::string> out;
  std::string warning;
  *format = ChooseFormat(r.content_type).format;
  std::unique_ptr<Parser> p = NewParser(*format, r.body);
  std::vector<Label> labels;
  for (;;) {
    absl::StatusOr<Entry> e = p->Next();
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok() || *e == Entry::kEof) break;
    if (*e != Entry::kSeries && *e != Entry::kHistogram) continue;
    p->Labels(&labels);
    std::string key;
    for (const Label& l : labels) {
      std::string value(l.value);
      if (l.name == "le" || l.name == "quantile") {
        double f;
        if (ParseGoFloat(value, &f) == FloatParseResult::kOk) {
          value = FormatOpenMetricsFloat(f);
        }
      }
      absl::StrAppend(&key, std::string(l.name), "=\"", value, "\",");
    }
    out.insert(key);
  }
  return out;
}

TEST(NodeExporterTest, TextAndProtobufYieldTheSameSeries) {
  const char* env = std::getenv("PROMSCRAPE_NODE_EXPORTER");
  std::string binary = env != nullptr ? env : "/usr/bin/prometheus-node-exporter";
  ASSERT_EQ(access(binary.c_str(), X_OK), 0)
      << binary << " is missing: install Debian's prometheus-node-exporter";
  int port = FreePort();
  ASSERT_GT(port, 0);
  std::string listen = absl::StrCat("--web.listen-address=127.0.0.1:", port);
  std::vector<std::string> args = {binary,
                                   listen,
                                   "--collector.disable-defaults",
                                   "--collector.cpu",
                                   "--collector.loadavg",
                                   "--collector.meminfo",
                                   "--collector.stat",
                                   "--collector.time"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(),
                        environ),
            0);
  struct Killer {
    pid_t pid;
    ~Killer() {
      kill(pid, SIGTERM);
      int status;
      waitpid(pid, &status, 0);
    }
  } killer{pid};

  const std::string kText = "text/plain;version=0.0.4";
  const std::string kProto =
      "application/vnd.google.protobuf;proto=io.prometheus.client."
      "MetricFamily;encoding=delimited";
  Response text, proto;
  // The exporter needs a moment to listen; then fetch both back to back.
  for (int i = 0; i < 200 && !text.ok; ++i) {
    text = HttpGet(port, kText);
    if (!text.ok) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(text.ok) << "node_exporter did not answer on port " << port;
  proto = HttpGet(port, kProto);
  ASSERT_TRUE(proto.ok);

  Format text_format, proto_format;
  std::set<std::string> from_text = SeriesSet(text, &text_format);
  std::set<std::string> from_proto = SeriesSet(proto, &proto_format);
  EXPECT_EQ(text_format, Format::kPromText) << text.content_type;
  EXPECT_EQ(proto_format, Format::kProtobuf) << proto.content_type;
  EXPECT_GT(from_text.size(), 50u);
  EXPECT_EQ(from_text, from_proto);
}

}  // namespace
}  // namespace promscrape::textparse
