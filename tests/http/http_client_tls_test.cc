// TLS scrapes against `openssl s_server`, with a CA and a server certificate
// for "prom.example" generated into TEST_TMPDIR by the openssl CLI (no key
// is committed).

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/http_client.h"
#include "plugin/http/request.h"
#include "tests/http/http_client_test_util.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::http {
namespace {

using ::promscrape::http::testing::Fetch;
using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kMetrics[] = "tls_metric 1\n";

class TlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(absl::StrCat(std::getenv("TEST_TMPDIR"), "/tls"));
    std::string script = absl::StrCat(
        "set -e; mkdir -p ", *dir_, "; cd ", *dir_, ";",
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=promscrape-test-ca 2>/dev/null;",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout server.key -out server.csr -subj /CN=prom.example "
        "2>/dev/null;",
        "printf 'subjectAltName=DNS:prom.example\\n' > ext.cnf;",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out server.pem -days 2 -extfile ext.cnf "
        "2>/dev/null;",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout client.key -out client.csr -subj /CN=scraper 2>/dev/null;",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out client.pem -days 2 2>/dev/null;");
    ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed";
    std::ofstream(*dir_ + "/metrics.txt") << kMetrics;

    Launch({}, &servers_[0]);
    // One that wants a client certificate from our CA, one that speaks
    // TLS 1.2 at most.
    Launch({"-Verify", "1", "-CAfile", "ca.pem"}, &servers_[1]);
    Launch({"-tls1_2"}, &servers_[2]);
    port_ = servers_[0].port;
    for (const Server& server : servers_) {
      ASSERT_GT(server.port, 0) << "openssl s_server did not start";
    }
  }

  struct Server {
    pid_t pid = -1;
    int port = 0;
    FILE* out = nullptr;
  };

  // Starts `openssl s_server` with the server certificate and `extra`
  // arguments in dir_, serving its files; fills `server` (port 0 when it
  // did not start).
  static void Launch(std::vector<std::string> extra, Server* server) {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    std::vector<std::string> args = {"openssl", "s_server", "-accept", "0",
                                     "-cert", "server.pem", "-key",
                                     "server.key", "-WWW"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    server->pid = fork();
    ASSERT_GE(server->pid, 0);
    if (server->pid == 0) {
      // -WWW serves files of the working directory over HTTP/1.0.
      if (chdir(dir_->c_str()) != 0) _exit(1);
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execvp("openssl", argv.data());
      _exit(127);
    }
    close(out[1]);
    // s_server prints "ACCEPT [::]:<port>" once it listens (not with
    // -quiet, which is why that flag is absent).
    FILE* stream = fdopen(out[0], "r");
    char line[256];
    while (fgets(line, sizeof(line), stream) != nullptr) {
      absl::string_view text(line);
      size_t colon = text.rfind(':');
      if (absl::StartsWith(text, "ACCEPT") &&
          colon != absl::string_view::npos &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(text.substr(colon + 1)),
                           &server->port)) {
        break;
      }
    }
    server->out = stream;
  }

  static void TearDownTestSuite() {
    for (Server& server : servers_) {
      if (server.pid > 0) {
        kill(server.pid, SIGTERM);
        waitpid(server.pid, nullptr, 0);
      }
      if (server.out != nullptr) fclose(server.out);
      server = Server{};
    }
    delete dir_;
  }

  void SetUp() override {
    auto client = HttpClient::Create();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(client).value();
  }

  Request Get(std::shared_ptr<ClientSettings> settings, int server = 0) {
    Request request;
    request.url = absl::StrCat("https://127.0.0.1:", servers_[server].port,
                               "/metrics.txt");
    request.timeout = absl::Seconds(30);
    request.settings = std::move(settings);
    return request;
  }

  static std::string* dir_;
  static Server servers_[3];
  static int port_;
  std::unique_ptr<HttpClient> client_;
};

std::string* TlsServerTest::dir_ = nullptr;
TlsServerTest::Server TlsServerTest::servers_[3];
int TlsServerTest::port_ = 0;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(TlsServerTest, VerifiesWithCaFileAndServerName) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.ca_file = *dir_ + "/ca.pem";
  settings->tls.server_name = "prom.example";
  Response response = Fetch(*client_, Get(settings));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);
  EXPECT_EQ(response.content_type, "text/plain");
}

TEST_F(TlsServerTest, UnknownAuthorityFailsWithoutCaFile) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.server_name = "prom.example";
  EXPECT_THAT(Fetch(*client_, Get(settings)).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("Get \"https://127.0.0.1:", port_,
                                    "/metrics.txt\": x509: certificate "
                                    "signed by unknown authority")));
}

TEST_F(TlsServerTest, NameMismatchFailsWithoutServerName) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.ca_file = *dir_ + "/ca.pem";
  EXPECT_THAT(Fetch(*client_, Get(settings)).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("x509: cannot validate certificate for "
                                 "127.0.0.1 because it doesn't contain any "
                                 "IP SANs")));
}

TEST_F(TlsServerTest, WrongServerNameNamesTheCertificateNames) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.ca_file = *dir_ + "/ca.pem";
  settings->tls.server_name = "other.example";
  EXPECT_THAT(Fetch(*client_, Get(settings)).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("x509: certificate is valid for "
                                 "prom.example, not other.example")));
}

TEST_F(TlsServerTest, InsecureSkipVerifySucceeds) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.insecure_skip_verify = true;
  Response response = Fetch(*client_, Get(settings));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);
}

TEST_F(TlsServerTest, InlineCaPemVerifies) {
  std::ifstream ca_stream(*dir_ + "/ca.pem");
  std::string ca((std::istreambuf_iterator<char>(ca_stream)),
                 std::istreambuf_iterator<char>());
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.ca = ca;
  settings->tls.server_name = "prom.example";
  PROMSCRAPE_EXPECT_OK(Fetch(*client_, Get(settings)).status);
}

TEST_F(TlsServerTest, MaxVersionBelowMinVersionFails) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.insecure_skip_verify = true;
  settings->tls.min_version = TlsVersion::kTls13;
  settings->tls.max_version = TlsVersion::kTls12;
  EXPECT_FALSE(Fetch(*client_, Get(settings)).status.ok());
}

TEST_F(TlsServerTest, MissingCaFileIsReported) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.ca_file = *dir_ + "/no-such-ca.pem";
  EXPECT_THAT(Fetch(*client_, Get(settings)).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unable to load specified CA cert " + *dir_ +
                                 "/no-such-ca.pem: open " + *dir_ +
                                 "/no-such-ca.pem: no such file or "
                                 "directory")));
}

TEST_F(TlsServerTest, ClientCertificateFromFilesIsPresented) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.ca_file = *dir_ + "/ca.pem";
  settings->tls.server_name = "prom.example";
  Response without = Fetch(*client_, Get(settings, /*server=*/1));
  EXPECT_FALSE(without.status.ok());

  settings->tls.cert_file = *dir_ + "/client.pem";
  settings->tls.key_file = *dir_ + "/client.key";
  Response with = Fetch(*client_, Get(settings, /*server=*/1));
  PROMSCRAPE_EXPECT_OK(with.status);
  EXPECT_EQ(with.body, kMetrics);
}

TEST_F(TlsServerTest, InlineClientCertificateIsPresented) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.ca_file = *dir_ + "/ca.pem";
  settings->tls.server_name = "prom.example";
  settings->tls.cert = ReadFile(*dir_ + "/client.pem");
  settings->tls.key = ReadFile(*dir_ + "/client.key");
  PROMSCRAPE_EXPECT_OK(Fetch(*client_, Get(settings, /*server=*/1)).status);
}

TEST_F(TlsServerTest, MinVersionAboveTheServersFails) {
  auto settings = std::make_shared<ClientSettings>();
  settings->tls.insecure_skip_verify = true;
  PROMSCRAPE_EXPECT_OK(Fetch(*client_, Get(settings, /*server=*/2)).status);
  settings->tls.min_version = TlsVersion::kTls13;
  EXPECT_FALSE(Fetch(*client_, Get(settings, /*server=*/2)).status.ok());
}

}  // namespace
}  // namespace promscrape::http
