#include "tools/host/host_config.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::host {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

TEST(HostConfigTest, ReadsEveryKeyAndResolvesRelativePaths) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(HostConfig c, ParseHostConfig(R"(
listen: 127.0.0.1:0
storage:
  file: data/samples.jsonl
  fsync: true
  remote_write_url: http://127.0.0.1:9090/api/v1/write
  remote_write_timeout: 2.5
plugins:
  - path: lib/libpromscrape.so
    config:
      control_listen: 127.0.0.1:0
      scrape_config_file: prometheus.yml
      remote_write:
        wal_dir: wal
  - path: /abs/libother.so
    config: "{control_listen: 127.0.0.1:1, remote_write: {wal_dir: ''}}"
)",
                                                            "/etc/host"));
  EXPECT_EQ(c.listen, "127.0.0.1:0");
  EXPECT_EQ(c.storage_file, "/etc/host/data/samples.jsonl");
  EXPECT_TRUE(c.storage_fsync);
  EXPECT_EQ(c.remote_write.url, "http://127.0.0.1:9090/api/v1/write");
  EXPECT_EQ(c.remote_write.timeout, absl::Milliseconds(2500));
  EXPECT_EQ(c.remote_write.protocol, RemoteWriteProtocol::kV1);
  ASSERT_EQ(c.plugins.size(), 2u);
  EXPECT_EQ(c.plugins[0].path, "/etc/host/lib/libpromscrape.so");
  YAML::Node first = YAML::Load(c.plugins[0].config_yaml);
  EXPECT_EQ(first["control_listen"].Scalar(), "127.0.0.1:0");
  EXPECT_EQ(first["scrape_config_file"].Scalar(), "/etc/host/prometheus.yml");
  EXPECT_EQ(first["remote_write"]["wal_dir"].Scalar(), "/etc/host/wal");
  EXPECT_EQ(c.plugins[1].path, "/abs/libother.so");
  YAML::Node second = YAML::Load(c.plugins[1].config_yaml);
  EXPECT_EQ(second["control_listen"].Scalar(), "127.0.0.1:1");
  // An empty wal_dir (memory only) stays empty.
  EXPECT_EQ(second["remote_write"]["wal_dir"].Scalar(), "");
}

TEST(HostConfigTest, ErrorsNameTheKey) {
  struct Case {
    std::string name, yaml, error;
  };
  for (const Case& c : std::vector<Case>{
           {"empty", "", "storage.file: required"},
           {"no file", "listen: 127.0.0.1:1", "storage.file: required"},
           {"unknown key", "storage: {file: x}\nlisen: a", "unknown key \"lisen\""},
           {"unknown storage key", "storage: {file: x, fsynk: true}",
            "storage: unknown key \"fsynk\""},
           {"bad listen", "listen: nowhere\nstorage: {file: x}",
            "listen: want \"host:port\", got \"nowhere\""},
           {"bad url", "storage: {file: x, remote_write_url: ftp://a}",
            "storage.remote_write_url: want an http:// or https:// URL"},
           {"bad fsync", "storage: {file: x, fsync: sometimes}",
            "storage.fsync: must be true or false"},
           {"plugins not list", "storage: {file: x}\nplugins: {path: a}",
            "plugins: must be a list"},
           {"plugin without path", "storage: {file: x}\nplugins: [{config: {}}]",
            "plugins[0].path: required"},
           {"plugin unknown key",
            "storage: {file: x}\nplugins: [{path: a, cfg: {}}]",
            "plugins[0]: unknown key \"cfg\""},
           {"plugin config list",
            "storage: {file: x}\nplugins: [{path: a, config: [1]}]",
            "plugins[0].config: must be a mapping"},
           {"bad yaml", "storage: [", "invalid YAML"},
       }) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseHostConfig(c.yaml, ""),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.error)));
  }
}

TEST(HostConfigTest, ReadsEveryForwarderKey) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(HostConfig c, ParseHostConfig(R"(
storage:
  file: samples.jsonl
  remote_write_url: https://receiver:8443/api/v1/write
  remote_write_timeout: 10s
  remote_write_protocol: "2.0"
  remote_write_basic_auth: {username: u, password_file: secrets/pw}
  remote_write_tls_config:
    ca_file: tls/ca.pem
    cert_file: /abs/client.pem
    key_file: tls/client.key
    server_name: receiver.example
    insecure_skip_verify: false
  remote_write_headers: {X-Scope-OrgID: tenant-1}
  remote_write_max_retries: 5
  remote_write_min_backoff: 50ms
  remote_write_max_backoff: 2s
)",
                                                            "/etc/host"));
  const ForwarderOptions& f = c.remote_write;
  EXPECT_EQ(f.url, "https://receiver:8443/api/v1/write");
  EXPECT_EQ(f.timeout, absl::Seconds(10));
  EXPECT_EQ(f.protocol, RemoteWriteProtocol::kV2);
  EXPECT_EQ(f.basic_auth_username, "u");
  EXPECT_EQ(f.basic_auth_password_file, "/etc/host/secrets/pw");
  EXPECT_EQ(f.tls.ca_file, "/etc/host/tls/ca.pem");
  EXPECT_EQ(f.tls.cert_file, "/abs/client.pem");
  EXPECT_EQ(f.tls.key_file, "/etc/host/tls/client.key");
  EXPECT_EQ(f.tls.server_name, "receiver.example");
  EXPECT_FALSE(f.tls.insecure_skip_verify);
  EXPECT_EQ(f.headers.at("X-Scope-OrgID"), "tenant-1");
  EXPECT_EQ(f.max_retries, 5);
  EXPECT_EQ(f.min_backoff, absl::Milliseconds(50));
  EXPECT_EQ(f.max_backoff, absl::Seconds(2));

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(HostConfig bearer, ParseHostConfig(R"(
storage:
  file: samples.jsonl
  remote_write_url: http://127.0.0.1:8428/api/v1/write
  remote_write_bearer_token: t0ken
)",
                                                                 ""));
  EXPECT_EQ(bearer.remote_write.bearer_token, "t0ken");
  EXPECT_EQ(bearer.remote_write.protocol, RemoteWriteProtocol::kV1);
}

TEST(HostConfigTest, ForwarderErrorsNameTheKey) {
  struct Case {
    std::string name, storage, error;
  };
  const std::string url = "remote_write_url: http://a:1/w, ";
  for (const Case& c : std::vector<Case>{
           {"key without url", "remote_write_max_retries: 3",
            "storage.remote_write_max_retries: needs "
            "storage.remote_write_url"},
           {"protocol", url + "remote_write_protocol: \"3.0\"",
            "storage.remote_write_protocol: want \"1.0\" or \"2.0\", got "
            "\"3.0\""},
           {"timeout", url + "remote_write_timeout: soon",
            "storage.remote_write_timeout: want a duration"},
           {"negative timeout", url + "remote_write_timeout: -1",
            "storage.remote_write_timeout: must be positive"},
           {"no username", url + "remote_write_basic_auth: {password: p}",
            "storage.remote_write_basic_auth.username: required"},
           {"two passwords",
            url + "remote_write_basic_auth: {username: u, password: p, "
                  "password_file: f}",
            "set at most one of password and password_file"},
           {"basic auth key",
            url + "remote_write_basic_auth: {username: u, pass: p}",
            "storage.remote_write_basic_auth: unknown key \"pass\""},
           {"two tokens",
            url + "remote_write_bearer_token: a, "
                  "remote_write_bearer_token_file: b",
            "set at most one of remote_write_bearer_token and "
            "remote_write_bearer_token_file"},
           {"basic and bearer",
            url + "remote_write_basic_auth: {username: u}, "
                  "remote_write_bearer_token: a",
            "set at most one of basic auth and a bearer token"},
           {"tls key", url + "remote_write_tls_config: {ca: x}",
            "storage.remote_write_tls_config: unknown key \"ca\""},
           {"cert without key",
            url + "remote_write_tls_config: {cert_file: c}",
            "cert_file and key_file must be set together"},
           {"insecure", url + "remote_write_tls_config: {insecure_skip_verify: "
                              "maybe}",
            "storage.remote_write_tls_config.insecure_skip_verify: must be "
            "true or false"},
           {"headers list", url + "remote_write_headers: [a]",
            "storage.remote_write_headers: must be a mapping"},
           {"reserved header",
            url + "remote_write_headers: {Authorization: x}",
            "storage.remote_write_headers.Authorization: the forwarder sets "
            "this header itself"},
           {"retries", url + "remote_write_max_retries: -1",
            "storage.remote_write_max_retries: want a count >= 0, got "
            "\"-1\""},
           {"backoff order",
            url + "remote_write_min_backoff: 10s, remote_write_max_backoff: 1s",
            "storage.remote_write_max_backoff: 1s is less than "
            "remote_write_min_backoff 10s"},
           {"unknown", url + "remote_write_retries: 1",
            "storage: unknown key \"remote_write_retries\""},
       }) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseHostConfig("storage: {file: x, " + c.storage + "}", ""),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.error)));
  }
}

TEST(HostConfigTest, MissingFileIsNamed) {
  EXPECT_THAT(LoadHostConfig("/nonexistent/host.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot read config file "
                                 "\"/nonexistent/host.yaml\"")));
}

TEST(HostConfigTest, DefaultRemoteWriteTargetFillsOnlyWhenAbsent) {
  YAML::Node filled =
      YAML::Load(WithDefaultRemoteWriteTarget("control_listen: a:1", "h:2"));
  EXPECT_EQ(filled["remote_write"]["target"].Scalar(), "h:2");
  EXPECT_EQ(filled["control_listen"].Scalar(), "a:1");
  YAML::Node kept = YAML::Load(WithDefaultRemoteWriteTarget(
      "remote_write: {target: other:3, capacity: 5}", "h:2"));
  EXPECT_EQ(kept["remote_write"]["target"].Scalar(), "other:3");
  YAML::Node merged = YAML::Load(
      WithDefaultRemoteWriteTarget("remote_write: {capacity: 5}", "h:2"));
  EXPECT_EQ(merged["remote_write"]["target"].Scalar(), "h:2");
  EXPECT_EQ(merged["remote_write"]["capacity"].Scalar(), "5");
  EXPECT_EQ(YAML::Load(WithDefaultRemoteWriteTarget("", "h:2"))["remote_write"]
                                                             ["target"]
                .Scalar(),
            "h:2");
}

}  // namespace
}  // namespace promscrape::host
