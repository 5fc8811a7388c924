#include "plugin/discovery/file_sd.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::discovery {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

std::string Write(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(FileSdTest, ReadsJsonAndYamlGroups) {
  const std::string json = Write(
      "t.json",
      R"([{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": ["c"]}])");
  auto groups = ReadFileSdFile(json);
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].source, json + ":0");
  EXPECT_EQ((*groups)[0].labels.Get("env"), "prod");
  EXPECT_EQ((*groups)[0].labels.Get("__meta_filepath"), json);
  ASSERT_EQ((*groups)[0].targets.size(), 2u);
  EXPECT_EQ((*groups)[0].targets[1].Get("__address__"), "b:2");

  const std::string yml = Write("t.yml", "- targets: ['x:9']\n");
  groups = ReadFileSdFile(yml);
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_EQ((*groups)[0].targets[0].Get("__address__"), "x:9");
}

TEST(FileSdTest, Errors) {
  EXPECT_THAT(ReadFileSdFile(Write("t.txt", "[]")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid file extension")));
  EXPECT_THAT(ReadFileSdFile(::testing::TempDir() + "/missing.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot read file_sd file")));
  EXPECT_THAT(ReadFileSdFile(Write("bad.json", R"([{"labels": {"a-b": "c"}}])")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"a-b\" is not a valid label name")));
  EXPECT_THAT(ReadFileSdFile(Write("unk.json", R"([{"foo": 1}])")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field foo not found")));
  EXPECT_THAT(ReadFileSdFile(Write("broken.json", R"([{"targets": )")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yaml")));
}

}  // namespace
}  // namespace promscrape::discovery
