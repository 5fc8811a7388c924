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
        "2>/dev/null;");
    ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed";
    std::ofstream(*dir_ + "/metrics.txt") << kMetrics;

    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      // -WWW serves files of the working directory over HTTP/1.0.
      if (chdir(dir_->c_str()) != 0) _exit(1);
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execlp("openssl", "openssl", "s_server", "-accept", "0", "-cert",
             "server.pem", "-key", "server.key", "-WWW",
             static_cast<char*>(nullptr));
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
                           &port_)) {
        break;
      }
    }
    stdout_ = stream;
    ASSERT_GT(port_, 0) << "openssl s_server did not start";
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ != nullptr) fclose(stdout_);
    delete dir_;
  }

  void SetUp() override {
    auto client = HttpClient::Create();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(client).value();
  }

  Request Get(std::shared_ptr<ClientSettings> settings) {
    Request request;
    request.url = absl::StrCat("https://127.0.0.1:", port_, "/metrics.txt");
    request.timeout = absl::Seconds(30);
    request.settings = std::move(settings);
    return request;
  }

  static std::string* dir_;
  static pid_t pid_;
  static int port_;
  static FILE* stdout_;
  std::unique_ptr<HttpClient> client_;
};

std::string* TlsServerTest::dir_ = nullptr;
pid_t TlsServerTest::pid_ = -1;
int TlsServerTest::port_ = 0;
FILE* TlsServerTest::stdout_ = nullptr;

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

}  // namespace
}  // namespace promscrape::http
