#include "plugin/textparse/go_float.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::textparse {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

struct ParseCase {
  const char* input;
  FloatParseResult result;
  double want;  // checked when kOk and not NaN
};

TEST(ParseGoFloatTest, FollowsGoGrammarWithPrometheusRestrictions) {
  const double inf = std::numeric_limits<double>::infinity();
  const ParseCase cases[] = {
      {"0", FloatParseResult::kOk, 0},
      {"1", FloatParseResult::kOk, 1},
      {"-1", FloatParseResult::kOk, -1},
      {"+5", FloatParseResult::kOk, 5},
      {".5", FloatParseResult::kOk, 0.5},
      {"5.", FloatParseResult::kOk, 5},
      {"+.5", FloatParseResult::kOk, 0.5},
      {"1e3", FloatParseResult::kOk, 1000},
      {"1E5", FloatParseResult::kOk, 1e5},
      {"1e+3", FloatParseResult::kOk, 1000},
      {"2.5e-3", FloatParseResult::kOk, 2.5e-3},
      {"007", FloatParseResult::kOk, 7},
      {"1.7165312e+07", FloatParseResult::kOk, 1.7165312e+07},
      {"0.1", FloatParseResult::kOk, 0.1},
      {"123456789012345678901234567890", FloatParseResult::kOk,
       1.2345678901234568e29},
      {"0.000000000000000000000000000001", FloatParseResult::kOk, 1e-30},
      {"9007199254740993", FloatParseResult::kOk, 9007199254740992.0},
      {"4.9e-324", FloatParseResult::kOk, 4.9e-324},
      {"1.7976931348623157e308", FloatParseResult::kOk,
       1.7976931348623157e308},
      {"1e-400", FloatParseResult::kOk, 0},  // underflow: no error
      {"-1e-400", FloatParseResult::kOk, -0.0},
      {"1e400", FloatParseResult::kRange, 0},
      {"-1e400", FloatParseResult::kRange, 0},
      {"Inf", FloatParseResult::kOk, inf},
      {"+Inf", FloatParseResult::kOk, inf},
      {"-Inf", FloatParseResult::kOk, -inf},
      {"inf", FloatParseResult::kOk, inf},
      {"INF", FloatParseResult::kOk, inf},
      {"infinity", FloatParseResult::kOk, inf},
      {"-Infinity", FloatParseResult::kOk, -inf},
      {"+INFINITY", FloatParseResult::kOk, inf},
      {"infin", FloatParseResult::kSyntax, 0},
      {"infinityy", FloatParseResult::kSyntax, 0},
      {"NaN", FloatParseResult::kOk, 0},
      {"nan", FloatParseResult::kOk, 0},
      {"nAn", FloatParseResult::kOk, 0},
      {"-nan", FloatParseResult::kSyntax, 0},
      {"+NaN", FloatParseResult::kSyntax, 0},
      {"nan(1)", FloatParseResult::kSyntax, 0},
      {"", FloatParseResult::kSyntax, 0},
      {" 1", FloatParseResult::kSyntax, 0},
      {"1 ", FloatParseResult::kSyntax, 0},
      {"true", FloatParseResult::kSyntax, 0},
      {"1e", FloatParseResult::kSyntax, 0},
      {"1e+", FloatParseResult::kSyntax, 0},
      {".", FloatParseResult::kSyntax, 0},
      {"-", FloatParseResult::kSyntax, 0},
      {".e1", FloatParseResult::kSyntax, 0},
      {"1.2.3", FloatParseResult::kSyntax, 0},
      {"0x10", FloatParseResult::kSyntax, 0},
      {"0x1p3", FloatParseResult::kUnsupported, 0},
      {"1_000", FloatParseResult::kUnsupported, 0},
      {"1P3", FloatParseResult::kUnsupported, 0},
      {"--1", FloatParseResult::kSyntax, 0},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.input);
    double got = -12345;
    EXPECT_EQ(ParseGoFloat(c.input, &got), c.result);
    if (c.result == FloatParseResult::kOk) {
      if (std::string_view(c.input).find_first_of("nN") !=
              std::string_view::npos &&
          std::string_view(c.input).find_first_of("iI") ==
              std::string_view::npos) {
        EXPECT_EQ(std::bit_cast<uint64_t>(got), kNormalNaNBits);
      } else {
        EXPECT_EQ(got, c.want);
        EXPECT_EQ(std::signbit(got), std::signbit(c.want));
      }
    }
  }
}

TEST(ParseGoFloatTest, EmbeddedNulIsSyntaxError) {
  double got;
  EXPECT_EQ(ParseGoFloat(std::string_view("1\0", 2), &got),
            FloatParseResult::kSyntax);
}

TEST(ParseGoFloatTest, StatusCarriesPrometheusMessages) {
  double got;
  EXPECT_THAT(ParseGoFloatStatus("true", &got),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("strconv.ParseFloat: parsing \"true\": "
                                 "invalid syntax")));
  EXPECT_THAT(ParseGoFloatStatus("1_2", &got),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unsupported character in float")));
  EXPECT_THAT(ParseGoFloatStatus("1e400", &got),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("value out of range")));
}

TEST(ParseGoFloatTest, RoundTripsShortestFormatting) {
  // Every value formatted shortest must parse back to the same bits.
  uint64_t x = 0x243F6A8885A308D3ULL;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double d = std::bit_cast<double>(x);
    if (std::isnan(d) || std::isinf(d)) continue;
    std::string s = FormatGoFloatG(d);
    double back;
    ASSERT_EQ(ParseGoFloat(s, &back), FloatParseResult::kOk) << s;
    ASSERT_EQ(std::bit_cast<uint64_t>(back), std::bit_cast<uint64_t>(d)) << s;
  }
}

// The exact fast path (short mantissa, small power of ten) against glibc's
// correctly rounded strtod, over random decimal spellings: mostly short ones
// the fast path takes, some long or far-exponent ones it hands to
// SlowDecimal.
TEST(ParseGoFloatTest, MatchesStrtodOnRandomDecimals) {
  uint64_t x = 0x853C49E6748FEA9BULL;
  auto next = [&x](int n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<int>(x % n);
  };
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    if (next(4) == 0) s += next(2) ? "-" : "+";
    int int_digits = next(3) == 0 ? next(25) : next(8);
    for (int d = 0; d < int_digits; ++d) s += static_cast<char>('0' + next(10));
    if (next(2) == 0) {
      s += '.';
      int frac_digits = next(3) == 0 ? next(25) : next(9);
      for (int d = 0; d < frac_digits; ++d) {
        s += static_cast<char>('0' + next(10));
      }
    }
    if (s.find_first_of("0123456789") == std::string::npos) s += '7';
    if (next(3) == 0) {
      s += next(2) ? 'e' : 'E';
      if (next(2) == 0) s += next(2) ? "-" : "+";
      s += std::to_string(next(4) == 0 ? next(400) : next(30));
    }
    SCOPED_TRACE(s);
    double got = 0;
    FloatParseResult r = ParseGoFloat(s, &got);
    double want = std::strtod(s.c_str(), nullptr);
    if (std::isinf(want)) {
      EXPECT_EQ(r, FloatParseResult::kRange);
      continue;
    }
    ASSERT_EQ(r, FloatParseResult::kOk);
    ASSERT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(want));
  }
}

TEST(FormatGoFloatTest, MatchesGoStrconvG) {
  const std::pair<double, const char*> cases[] = {
      {0, "0"},
      {1, "1"},
      {-2.5, "-2.5"},
      {100000, "100000"},
      {100000.5, "100000.5"},
      {1e6, "1e+06"},
      {1234567.5, "1.2345675e+06"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1e21, "1e+21"},
      {1e-300, "1e-300"},
      {123456, "123456"},
      {0.1, "0.1"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
  };
  for (const auto& [f, want] : cases) {
    EXPECT_EQ(FormatGoFloatG(f), want);
  }
}

TEST(FormatOpenMetricsFloatTest, MatchesPrometheus) {
  const std::pair<double, const char*> cases[] = {
      {1, "1.0"},
      {0, "0.0"},
      {-1, "-1.0"},
      {0.5, "0.5"},
      {0.99, "0.99"},
      {100000, "100000.0"},
      {100000.5, "100000.5"},
      {1e6, "1e+06"},
      {1234567.5, "1.2345675e+06"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {2.5, "2.5"},
      {10, "10.0"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& [f, want] : cases) {
    EXPECT_EQ(FormatOpenMetricsFloat(f), want);
  }
}

TEST(SecondsToMillisTest, TruncatesLikeGo) {
  EXPECT_EQ(SecondsToMillis(123.123), 123123);
  EXPECT_EQ(SecondsToMillis(1520872607.123), 1520872607123);
  EXPECT_EQ(SecondsToMillis(10000), 10000000);
  EXPECT_EQ(SecondsToMillis(-1.5), -1500);
  EXPECT_EQ(SecondsToMillis(1e300), std::numeric_limits<int64_t>::min());
}


// Go's strconv.ParseFloat beyond Prometheus' sample rules: hexadecimal floats
// with Go's underscore rule (strconv/atof.go, underscoreOK).
TEST(ParseStrconvFloatTest, HexFloatsAndUnderscores) {
  struct Case {
    const char* in;
    bool ok;
    double want;
  } const cases[] = {
      {"0x1p-2", true, 0.25},   {"0X1.8P1", true, 3.0},
      {"-0x1p0", true, -1.0},   {"0x_1p0", true, 1.0},
      {"0x1_0p0", true, 16.0},  {"0x1p1_0", true, 1024.0},
      {"0x.8p1", true, 1.0},    {"1.5", true, 1.5},
      {"0x1", false, 0},        {"0x1p", false, 0},
      {"0x1__0p0", false, 0},   {"0x1_p0", false, 0},
      {"0x1p_1", false, 0},     {"1_0", false, 0},
      {"0xp1", false, 0},       {"0x1p1x", false, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    double got = 0;
    const FloatParseResult r = ParseStrconvFloat(c.in, &got);
    EXPECT_EQ(r == FloatParseResult::kOk, c.ok);
    if (c.ok) {
      EXPECT_EQ(got, c.want);
    }
  }
  double got;
  EXPECT_EQ(ParseStrconvFloat("0x1p99999", &got), FloatParseResult::kRange);
}

TEST(NormalizeFloatLabelValueTest, OnlyLeOfHistogramsAndQuantileOfSummaries) {
  std::string scratch;
  EXPECT_EQ(NormalizeFloatLabelValue(true, false, "le", "1", &scratch), "1.0");
  EXPECT_EQ(NormalizeFloatLabelValue(true, false, "le", "1e-7", &scratch),
            "1e-07");
  EXPECT_EQ(NormalizeFloatLabelValue(true, false, "le", "100000", &scratch),
            "100000.0");
  EXPECT_EQ(NormalizeFloatLabelValue(true, false, "le", "1e6", &scratch),
            "1e+06");
  EXPECT_EQ(NormalizeFloatLabelValue(true, false, "le", "-0", &scratch),
            "0.0");
  EXPECT_EQ(NormalizeFloatLabelValue(true, false, "le", "nan", &scratch),
            "NaN");
  EXPECT_EQ(NormalizeFloatLabelValue(true, false, "le", "x", &scratch), "x");
  EXPECT_EQ(NormalizeFloatLabelValue(true, false, "quantile", "1", &scratch),
            "1");
  EXPECT_EQ(NormalizeFloatLabelValue(false, true, "quantile", "1", &scratch),
            "1.0");
  EXPECT_EQ(NormalizeFloatLabelValue(false, true, "le", "1", &scratch), "1");
}

}  // namespace
}  // namespace promscrape::textparse
