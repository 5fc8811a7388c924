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
  - path: /abs/libother.so
    config: "control_listen: 127.0.0.1:1"
)",
                                                            "/etc/host"));
  EXPECT_EQ(c.listen, "127.0.0.1:0");
  EXPECT_EQ(c.storage_file, "/etc/host/data/samples.jsonl");
  EXPECT_TRUE(c.storage_fsync);
  EXPECT_EQ(c.remote_write_url, "http://127.0.0.1:9090/api/v1/write");
  EXPECT_EQ(c.remote_write_timeout_seconds, 2.5);
  ASSERT_EQ(c.plugins.size(), 2u);
  EXPECT_EQ(c.plugins[0].path, "/etc/host/lib/libpromscrape.so");
  YAML::Node first = YAML::Load(c.plugins[0].config_yaml);
  EXPECT_EQ(first["control_listen"].Scalar(), "127.0.0.1:0");
  EXPECT_EQ(first["scrape_config_file"].Scalar(), "/etc/host/prometheus.yml");
  EXPECT_EQ(c.plugins[1].path, "/abs/libother.so");
  EXPECT_EQ(YAML::Load(c.plugins[1].config_yaml)["control_listen"].Scalar(),
            "127.0.0.1:1");
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
