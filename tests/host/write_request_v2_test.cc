#include "tools/host/write_request_v2.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/io/prometheus/write/v2/types.pb.h"
#include "tools/host/remote_write_encoder.h"

namespace promscrape::host {
namespace {

namespace v2 = ::io::prometheus::write::v2;
using ::testing::HasSubstr;

// A request as the plugin's transcoder writes it: a counter sample with an
// exemplar and its family's metadata, a histogram, and the metadata record
// as a series of its own.
v1::WriteRequestV2 SomeRequest() {
  v1::WriteRequestV2 r;
  r.set_sequence(42);
  r.set_writer_id(7);
  for (const char* s : {"", "__name__", "http_requests_total", "job", "api",
                        "trace_id", "abc", "Requests.", "http_requests",
                        "rpc_seconds"}) {
    r.add_symbols(s);
  }
  v1::TimeSeriesV2* counter = r.add_timeseries();
  for (uint32_t ref : {1, 2, 3, 4}) counter->add_labels_refs(ref);
  v1::Sample* s = counter->add_samples();
  s->set_value(17);
  s->set_timestamp(2000);
  s->set_start_timestamp(1000);
  v1::ExemplarV2* e = counter->add_exemplars();
  e->add_labels_refs(5);
  e->add_labels_refs(6);
  e->set_value(0.5);
  e->set_timestamp(1999);
  counter->mutable_metadata()->set_type(v1::MetricMetadata::COUNTER);
  counter->mutable_metadata()->set_help_ref(7);
  v1::TimeSeriesV2* hist = r.add_timeseries();
  for (uint32_t ref : {1, 9, 3, 4}) hist->add_labels_refs(ref);
  v1::Histogram* h = hist->add_histograms();
  h->set_count_int(3);
  h->set_schema(-53);
  h->add_custom_values(1);
  h->set_timestamp(2000);
  v1::TimeSeriesV2* md = r.add_timeseries();
  md->add_labels_refs(1);
  md->add_labels_refs(8);
  md->mutable_metadata()->set_type(v1::MetricMetadata::COUNTER);
  md->mutable_metadata()->set_help_ref(7);
  return r;
}

TEST(WriteRequestV2Test, ValidRequestPasses) {
  EXPECT_TRUE(ValidateWriteRequestV2(SomeRequest()).ok());
}

TEST(WriteRequestV2Test, OutOfRangeOrOddReferencesAreRejected) {
  v1::WriteRequestV2 bad = SomeRequest();
  bad.mutable_timeseries(1)->add_labels_refs(1);
  EXPECT_THAT(std::string(ValidateWriteRequestV2(bad).message()),
              HasSubstr("timeseries[1]"));
  bad = SomeRequest();
  bad.mutable_timeseries(0)->mutable_exemplars(0)->set_labels_refs(0, 100);
  EXPECT_EQ(ValidateWriteRequestV2(bad).code(),
            absl::StatusCode::kInvalidArgument);
  bad = SomeRequest();
  bad.mutable_timeseries(2)->mutable_metadata()->set_unit_ref(10);
  EXPECT_THAT(std::string(ValidateWriteRequestV2(bad).message()),
              HasSubstr("timeseries[2]"));
}

TEST(WriteRequestV2Test, ToWriteRequestResolvesLabelsAndTurnsMetadataSeriesIntoMetadata) {
  v1::WriteRequest out;
  ToWriteRequest(SomeRequest(), &out);
  EXPECT_EQ(out.sequence(), 42u);
  EXPECT_EQ(out.writer_id(), 7u);
  ASSERT_EQ(out.timeseries_size(), 2);
  const v1::TimeSeries& counter = out.timeseries(0);
  ASSERT_EQ(counter.labels_size(), 2);
  EXPECT_EQ(counter.labels(0).value(), "http_requests_total");
  EXPECT_EQ(counter.labels(1).name(), "job");
  EXPECT_EQ(counter.samples(0).start_timestamp(), 1000);
  ASSERT_EQ(counter.exemplars_size(), 1);
  EXPECT_EQ(counter.exemplars(0).labels(0).value(), "abc");
  EXPECT_EQ(out.timeseries(1).histograms(0).custom_values(0), 1);
  ASSERT_EQ(out.metadata_size(), 1);
  EXPECT_EQ(out.metadata(0).metric_family_name(), "http_requests");
  EXPECT_EQ(out.metadata(0).type(), v1::MetricMetadata::COUNTER);
  EXPECT_EQ(out.metadata(0).help(), "Requests.");
  EXPECT_EQ(out.metadata(0).unit(), "");
}

TEST(WriteRequestV2Test, RemoteWrite2BodyIsTheRequestWithoutSequenceAndMetadataSeries) {
  std::string body;
  ASSERT_TRUE(ToRemoteWrite2Body(SomeRequest(), &body));
  v2::Request r;
  ASSERT_TRUE(r.ParseFromString(body));
  EXPECT_EQ(r.symbols_size(), 10);
  ASSERT_EQ(r.timeseries_size(), 2);
  EXPECT_EQ(r.timeseries(0).samples(0).start_timestamp(), 1000);
  EXPECT_EQ(r.timeseries(0).metadata().type(),
            v2::Metadata::METRIC_TYPE_COUNTER);
  EXPECT_EQ(r.symbols(static_cast<int>(r.timeseries(0).metadata().help_ref())),
            "Requests.");
  EXPECT_EQ(r.timeseries(0).exemplars(0).value(), 0.5);
  EXPECT_EQ(r.timeseries(1).histograms(0).schema(), -53);
  // No promscrape fields leak to the receiver.
  v1::WriteRequestV2 back;
  ASSERT_TRUE(back.ParseFromString(body));
  EXPECT_EQ(back.sequence(), 0u);
  EXPECT_EQ(back.writer_id(), 0u);

  v1::WriteRequestV2 metadata_only;
  *metadata_only.mutable_symbols() = SomeRequest().symbols();
  *metadata_only.add_timeseries() = SomeRequest().timeseries(2);
  EXPECT_FALSE(ToRemoteWrite2Body(metadata_only, &body));
}

TEST(WriteRequestV2Test, EncoderSendsTheStreamsShapeToEitherProtocol) {
  RemoteWriteEncoder v2_encoder(RemoteWriteProtocol::kV2);
  std::string body;
  ASSERT_TRUE(v2_encoder.Encode(SomeRequest(), &body));
  std::string direct;
  ToRemoteWrite2Body(SomeRequest(), &direct);
  EXPECT_EQ(body, direct);

  RemoteWriteEncoder v1_encoder(RemoteWriteProtocol::kV1);
  ASSERT_TRUE(v1_encoder.Encode(SomeRequest(), &body));
  v1::WriteRequest prompb;
  ASSERT_TRUE(prompb.ParseFromString(body));
  EXPECT_EQ(prompb.sequence(), 0u);
  EXPECT_EQ(prompb.timeseries_size(), 2);
  EXPECT_EQ(prompb.metadata_size(), 1);
  // 1.0 has no start timestamps.
  EXPECT_EQ(prompb.timeseries(0).samples(0).start_timestamp(), 0);
}

}  // namespace
}  // namespace promscrape::host
