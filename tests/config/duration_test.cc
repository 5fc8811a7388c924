#include "plugin/config/duration.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config/size.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::config {
namespace {

using ::promscrape::testing::StatusIs;

TEST(DurationTest, ParsesPrometheusSyntax) {
  struct Case {
    const char* in;
    absl::Duration want;
  } const cases[] = {
      {"0", absl::ZeroDuration()},
      {"0s", absl::ZeroDuration()},
      {"500ms", absl::Milliseconds(500)},
      {"15s", absl::Seconds(15)},
      {"1h30m", absl::Minutes(90)},
      {"2d", absl::Hours(48)},
      {"1w", absl::Hours(24 * 7)},
      {"1y", absl::Hours(24 * 365)},
      {"1y2w3d4h5m6s7ms",
       absl::Hours(24 * 365 + 24 * 14 + 24 * 3 + 4) + absl::Minutes(5) +
           absl::Seconds(6) + absl::Milliseconds(7)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto d = ParseDuration(c.in);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(*d, c.want);
  }
}

TEST(DurationTest, RejectsInvalid) {
  EXPECT_THAT(ParseDuration(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                          "empty duration string"));
  for (const char* bad : {"1.5s", "-1s", "30m1h", "10", "1s1s", "s", "1 s",
                          "1S", "2notseconds", "1ms1s", "+1s", "1h 30m"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseDuration(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr("not a valid duration string")));
  }
  EXPECT_THAT(ParseDuration("9999999999y"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "duration out of range"));
  EXPECT_THAT(ParseDuration("99999999999999999999999s"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "duration out of range"));
}

TEST(DurationTest, FormatsLikeModelDuration) {
  EXPECT_EQ(FormatPromDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatPromDuration(absl::Minutes(1)), "1m");
  EXPECT_EQ(FormatPromDuration(absl::Milliseconds(1500)), "1s500ms");
  EXPECT_EQ(FormatPromDuration(absl::Hours(24 * 90)), "90d");
  EXPECT_EQ(FormatPromDuration(absl::Hours(24 * 14)), "2w");
  EXPECT_EQ(FormatPromDuration(absl::Hours(24 * 365)), "1y");
  EXPECT_EQ(FormatPromDuration(absl::Minutes(90)), "1h30m");
  for (const char* s : {"1y", "2w", "3d", "1h30m", "1s500ms", "10s"}) {
    EXPECT_EQ(FormatPromDuration(*ParseDuration(s)), s);
  }
}

TEST(SizeTest, ParsesBase2Units) {
  EXPECT_EQ(*ParseSize("0"), 0);
  EXPECT_EQ(*ParseSize("1B"), 1);
  EXPECT_EQ(*ParseSize("1KB"), 1024);
  EXPECT_EQ(*ParseSize("1KiB"), 1024);
  EXPECT_EQ(*ParseSize("10MB"), 10 << 20);
  EXPECT_EQ(*ParseSize("1.5MB"), 3 << 19);
  EXPECT_EQ(*ParseSize("1GiB"), int64_t{1} << 30);
  EXPECT_EQ(*ParseSize("1MB512KB"), (1 << 20) + (512 << 10));
  EXPECT_EQ(*ParseSize("1EB"), int64_t{1} << 60);
  EXPECT_THAT(ParseSize("100"), StatusIs(absl::StatusCode::kInvalidArgument,
                                         "units: unknown unit  in 100"));
  EXPECT_THAT(ParseSize("10mb"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          "units: unknown unit mb in 10mb"));
  EXPECT_THAT(ParseSize("MB"), StatusIs(absl::StatusCode::kInvalidArgument,
                                        "units: invalid MB"));
  EXPECT_THAT(ParseSize("8EB"), StatusIs(absl::StatusCode::kInvalidArgument,
                                         "units: overflow parsing unit"));
  EXPECT_EQ(FormatSize(10 << 20), "10MiB");
  EXPECT_EQ(FormatSize(1000), "1000B");
}

}  // namespace
}  // namespace promscrape::config
