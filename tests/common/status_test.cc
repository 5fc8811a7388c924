#include "plugin/common/status.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::Eq;

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd number \"3\"");
  return n / 2;
}

absl::Status Quarter(int n, int* out) {
  PROMSCRAPE_ASSIGN_OR_RETURN(int half, Half(n));
  PROMSCRAPE_ASSIGN_OR_RETURN(*out, Half(half));
  return absl::OkStatus();
}

TEST(StatusTest, AnnotatePrefixesContextAndKeepsCode) {
  absl::Status annotated = Annotate(
      Annotate(absl::InvalidArgumentError("invalid regex \"(\""),
               "relabel_configs[1]"),
      "job \"node\"");
  EXPECT_THAT(annotated,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("job \"node\": relabel_configs[1]: invalid regex "
                          "\"(\"")));
  EXPECT_TRUE(Annotate(absl::OkStatus(), "ctx").ok());
}

TEST(StatusTest, AssignOrReturnPropagatesFirstError) {
  int out = 0;
  PROMSCRAPE_EXPECT_OK(Quarter(8, &out));
  EXPECT_EQ(out, 2);
  EXPECT_THAT(Quarter(6, &out), StatusIs(absl::StatusCode::kInvalidArgument,
                                         ::testing::HasSubstr("odd")));
}

}  // namespace
}  // namespace promscrape
