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
