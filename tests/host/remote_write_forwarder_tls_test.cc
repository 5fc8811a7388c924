// RemoteWriteForwarder over TLS: a CA, server and client certificates made
// with the openssl CLI, and a Python TLS receiver (testdata/tls_receiver.py)
// that requires the client certificate.

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/subprocess.h"
#include "tools/host/remote_write_forwarder.h"

namespace promscrape::host {
namespace {

using ::promscrape::testing::StatusIs;
using ::promscrape::testing::Subprocess;
using ::testing::HasSubstr;

std::string Dir() { return std::string(std::getenv("TEST_TMPDIR")) + "/tls"; }

// The server certificate names only "receiver.test" (no IP address), so
// https://127.0.0.1 verifies only with server_name.
bool MakeCertificates() {
  const std::string script = absl::StrCat(
      "set -e; mkdir -p ", Dir(), "; cd ", Dir(),
      "; exec >openssl.log 2>&1"
      "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca"
      " -keyout ca.key -out ca.pem"
      "; openssl req -newkey rsa:2048 -nodes -subj /CN=receiver.test"
      " -keyout server.key -out server.csr"
      "; printf 'subjectAltName=DNS:receiver.test\\n' > server.ext"
      "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key"
      " -CAcreateserial -days 2 -extfile server.ext -out server.pem"
      "; openssl req -newkey rsa:2048 -nodes -subj /CN=promscrape-host"
      " -keyout client.key -out client.csr"
      "; openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key"
      " -CAcreateserial -days 2 -out client.pem");
  return std::system(script.c_str()) == 0;
}

class ForwarderTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(MakeCertificates()) << "openssl failed; see " << Dir()
                                    << "/openssl.log";
  }

  void SetUp() override {
    auto receiver = Subprocess::Start(
        {"/usr/bin/python3", "tests/host/testdata/tls_receiver.py",
         Dir() + "/server.pem", Dir() + "/server.key", Dir() + "/ca.pem"});
    ASSERT_TRUE(receiver.ok()) << receiver.status();
    receiver_ = std::move(receiver).value();
    std::optional<std::string> line =
        receiver_->WaitForOutput("listening on ", absl::Seconds(20));
    ASSERT_TRUE(line.has_value()) << receiver_->output();
    int port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(
        absl::StripAsciiWhitespace(
            absl::StripPrefix(*line, "listening on ")),
        &port))
        << *line;
    url_ = absl::StrCat("https://127.0.0.1:", port, "/api/v1/write");
  }

  ForwarderOptions Options() const {
    ForwarderOptions options;
    options.url = url_;
    options.timeout = absl::Seconds(10);
    options.max_retries = 0;
    options.tls.ca_file = Dir() + "/ca.pem";
    options.tls.cert_file = Dir() + "/client.pem";
    options.tls.key_file = Dir() + "/client.key";
    options.tls.server_name = "receiver.test";
    return options;
  }

  static v1::WriteRequest OneSample() {
    v1::WriteRequest request;
    v1::TimeSeries* ts = request.add_timeseries();
    v1::Label* l = ts->add_labels();
    l->set_name("__name__");
    l->set_value("up");
    ts->add_samples()->set_timestamp(1000);
    return request;
  }

  std::unique_ptr<Subprocess> receiver_;
  std::string url_;
};

TEST_F(ForwarderTlsTest, CaServerNameAndClientCertificate) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(Options()));
  PROMSCRAPE_ASSERT_OK(forwarder->Send(OneSample()));
  EXPECT_TRUE(receiver_->WaitForOutput("POST /api/v1/write client=promscrape-host",
                                       absl::Seconds(10)))
      << receiver_->output();
}

TEST_F(ForwarderTlsTest, WithoutServerNameTheCertificateDoesNotMatch) {
  ForwarderOptions options = Options();
  options.tls.server_name.clear();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(options));
  EXPECT_THAT(forwarder->Send(OneSample()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url_)));
}

TEST_F(ForwarderTlsTest, WithoutTheCaTheServerIsNotTrusted) {
  ForwarderOptions options = Options();
  options.tls.ca_file.clear();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(options));
  EXPECT_THAT(forwarder->Send(OneSample()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url_)));
}

TEST_F(ForwarderTlsTest, InsecureSkipVerifyNeedsNoCaNorName) {
  ForwarderOptions options = Options();
  options.tls.ca_file.clear();
  options.tls.server_name.clear();
  options.tls.insecure_skip_verify = true;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(options));
  PROMSCRAPE_ASSERT_OK(forwarder->Send(OneSample()));
}

TEST_F(ForwarderTlsTest, ReceiverRequiringAClientCertificateRefusesNone) {
  ForwarderOptions options = Options();
  options.tls.cert_file.clear();
  options.tls.key_file.clear();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(options));
  EXPECT_THAT(forwarder->Send(OneSample()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url_)));
}

}  // namespace
}  // namespace promscrape::host
