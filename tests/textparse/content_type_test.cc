#include "plugin/textparse/content_type.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::textparse {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

TEST(AcceptHeaderTest, DefaultProtocolsWithEscaping) {
  EXPECT_EQ(BuildAcceptHeader({ScrapeProtocol::kOpenMetricsText1_0_0,
                               ScrapeProtocol::kOpenMetricsText0_0_1,
                               ScrapeProtocol::kPrometheusText1_0_0,
                               ScrapeProtocol::kPrometheusText0_0_4},
                              "underscores"),
            "application/openmetrics-text;version=1.0.0;escaping=underscores;"
            "q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,"
            "text/plain;version=1.0.0;escaping=underscores;q=0.4,"
            "text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
}

// Prometheus 3.x extractMediaType (model/textparse/interface.go) and its
// TestNewParser cases: the three known media types pick their parser;
// anything else fails without a fallback and uses it with one.
TEST(ChooseFormatStrictTest, KnownMediaTypes) {
  struct Case {
    const char* content_type;
    Format want;
  } const cases[] = {
      {"text/plain; version=0.0.4", Format::kPromText},
      {"text/plain;version=1.0.0;escaping=allow-utf-8", Format::kPromText},
      {"application/openmetrics-text; version=1.0.0", Format::kOpenMetrics},
      {"application/vnd.google.protobuf;proto=io.prometheus.client."
       "MetricFamily;encoding=delimited",
       Format::kProtobuf},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.content_type);
    absl::StatusOr<FormatChoice> got =
        ChooseFormatStrict(c.content_type, std::nullopt);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->format, c.want);
    EXPECT_EQ(got->warning, "");
  }
}

TEST(ChooseFormatStrictTest, UnknownFailsWithoutFallback) {
  EXPECT_THAT(ChooseFormatStrict("", std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "non-compliant scrape target sending blank "
                       "Content-Type and no fallback_scrape_protocol "
                       "specified for target"));
  EXPECT_THAT(ChooseFormatStrict("application/json", std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "received unsupported Content-Type "
                       "\"application/json\" and no fallback_scrape_protocol "
                       "specified for target"));
  EXPECT_THAT(ChooseFormatStrict("text/", std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cannot parse Content-Type \"text/\" and no "
                       "fallback_scrape_protocol for target\n"
                       "mime: expected token after slash"));
}

TEST(ChooseFormatStrictTest, FallbackIsUsedWithAWarning) {
  absl::StatusOr<FormatChoice> blank =
      ChooseFormatStrict("", ScrapeProtocol::kPrometheusText0_0_4);
  ASSERT_TRUE(blank.ok());
  EXPECT_EQ(blank->format, Format::kPromText);
  EXPECT_EQ(blank->warning,
            "non-compliant scrape target sending blank Content-Type, using "
            "fallback_scrape_protocol \"text/plain\"");
  absl::StatusOr<FormatChoice> unknown = ChooseFormatStrict(
      "application/json", ScrapeProtocol::kOpenMetricsText1_0_0);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->format, Format::kOpenMetrics);
  EXPECT_THAT(unknown->warning,
              HasSubstr("using fallback_scrape_protocol "
                        "\"application/openmetrics-text\""));
  absl::StatusOr<FormatChoice> bad =
      ChooseFormatStrict("text/", ScrapeProtocol::kPrometheusProto);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->format, Format::kProtobuf);
}

TEST(AcceptHeaderTest, ProtoFirst) {
  EXPECT_EQ(
      BuildAcceptHeader({ScrapeProtocol::kPrometheusProto,
                         ScrapeProtocol::kOpenMetricsText1_0_0,
                         ScrapeProtocol::kOpenMetricsText0_0_1,
                         ScrapeProtocol::kPrometheusText0_0_4}),
      "application/vnd.google.protobuf;proto=io.prometheus.client."
      "MetricFamily;encoding=delimited;q=0.6,"
      "application/openmetrics-text;version=1.0.0;q=0.5,"
      "application/openmetrics-text;version=0.0.1;q=0.4,"
      "text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
}

TEST(AcceptHeaderTest, SingleProtocol) {
  EXPECT_EQ(BuildAcceptHeader({ScrapeProtocol::kPrometheusText0_0_4}),
            "text/plain;version=0.0.4;q=0.6,*/*;q=0.5");
}

TEST(ScrapeProtocolTest, NamesAreCaseSensitive) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(ScrapeProtocol p,
                                  ParseScrapeProtocol("PrometheusProto"));
  EXPECT_EQ(p, ScrapeProtocol::kPrometheusProto);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(p, ParseScrapeProtocol("OpenMetricsText0.0.1"));
  EXPECT_EQ(p, ScrapeProtocol::kOpenMetricsText0_0_1);
  EXPECT_THAT(ParseScrapeProtocol("prometheusproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown scrape protocol \"prometheusproto\"")));
}

TEST(ChooseFormatTest, MediaTypeDecidesParametersIgnored) {
  struct Case {
    const char* content_type;
    Format want;
    bool warns;
  };
  const Case cases[] = {
      {"", Format::kPromText, false},
      {"text/plain", Format::kPromText, false},
      {"text/plain; version=0.0.4; charset=utf-8", Format::kPromText, false},
      {"application/openmetrics-text; version=1.0.0; charset=utf-8",
       Format::kOpenMetrics, false},
      {"Application/OpenMetrics-Text;version=0.0.1", Format::kOpenMetrics,
       false},
      {"application/vnd.google.protobuf; "
       "proto=io.prometheus.client.MetricFamily; encoding=delimited",
       Format::kProtobuf, false},
      {"text/html", Format::kPromText, false},
      {"invalid/", Format::kPromText, true},
      {"/", Format::kPromText, true},
      {"text/plain; a=1; a=2", Format::kPromText, true},
      {"application/openmetrics-text;", Format::kOpenMetrics, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.content_type);
    FormatChoice choice = ChooseFormat(c.content_type);
    EXPECT_EQ(choice.format, c.want);
    EXPECT_EQ(!choice.warning.empty(), c.warns) << choice.warning;
  }
}

TEST(ParseMediaTypeTest, GoErrors) {
  EXPECT_THAT(ParseMediaType("/"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("mime: no media type")));
  EXPECT_THAT(ParseMediaType("invalid/"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected token after slash")));
  EXPECT_THAT(ParseMediaType("text/plain; a=1; A=2"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duplicate parameter name")));
  EXPECT_THAT(ParseMediaType("text/plain x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unexpected content after media subtype")));
  EXPECT_THAT(ParseMediaType("text/plain; x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid media parameter")));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(std::string m,
                                  ParseMediaType(" TEXT/Plain ; q=\"a;b\""));
  EXPECT_EQ(m, "text/plain");
}

TEST(NewParserForContentTypeTest, BlankContentTypeFallsBackToText) {
  std::string warning;
  auto p = NewParserForContentType("", "a 1\n", {}, &warning);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(warning.empty());
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(Entry e, p->Next());
  EXPECT_EQ(e, Entry::kSeries);
  EXPECT_EQ(p->Value(), 1);
}

}  // namespace
}  // namespace promscrape::textparse
