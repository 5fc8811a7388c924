#include "tools/host/remote_write_encoder.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/io/prometheus/write/v2/types.pb.h"

namespace promscrape::host {
namespace {

namespace v2 = ::io::prometheus::write::v2;
using ::testing::ElementsAre;
using ::testing::Pair;

void AddLabel(google::protobuf::RepeatedPtrField<v1::Label>* labels,
              const std::string& name, const std::string& value) {
  v1::Label* l = labels->Add();
  l->set_name(name);
  l->set_value(value);
}

v1::WriteRequest SomeRequest() {
  v1::WriteRequest request;
  request.set_sequence(42);
  request.set_writer_id(0xfeedULL);
  v1::TimeSeries* counter = request.add_timeseries();
  AddLabel(counter->mutable_labels(), "__name__", "http_requests_total");
  AddLabel(counter->mutable_labels(), "job", "api");
  v1::Sample* s = counter->add_samples();
  s->set_value(17);
  s->set_timestamp(1700000000000);
  v1::Exemplar* e = counter->add_exemplars();
  AddLabel(e->mutable_labels(), "trace_id", "abc");
  e->set_value(0.5);
  e->set_timestamp(1700000000001);
  v1::TimeSeries* hist = request.add_timeseries();
  AddLabel(hist->mutable_labels(), "__name__", "latency");
  AddLabel(hist->mutable_labels(), "job", "api");
  v1::Histogram* h = hist->add_histograms();
  h->set_count_int(3);
  h->set_sum(1.5);
  h->set_schema(2);
  h->set_zero_threshold(0.001);
  h->set_zero_count_int(1);
  v1::BucketSpan* span = h->add_positive_spans();
  span->set_offset(-1);
  span->set_length(2);
  h->add_positive_deltas(1);
  h->add_positive_deltas(1);
  h->set_reset_hint(v1::Histogram::NO);
  h->set_timestamp(1700000000002);
  return request;
}

// Label refs resolved against the symbols table.
std::map<std::string, std::string> Resolve(
    const v2::Request& request,
    const google::protobuf::RepeatedField<uint32_t>& refs) {
  std::map<std::string, std::string> out;
  for (int i = 0; i + 1 < refs.size(); i += 2) {
    out[request.symbols(refs[i])] = request.symbols(refs[i + 1]);
  }
  return out;
}

TEST(RemoteWriteEncoderTest, V1IsTheRequestWithoutSequenceAndWriterId) {
  RemoteWriteEncoder encoder(RemoteWriteProtocol::kV1);
  EXPECT_EQ(encoder.content_type(), "application/x-protobuf");
  EXPECT_EQ(encoder.version(), "0.1.0");
  const v1::WriteRequest request = SomeRequest();
  std::string body;
  ASSERT_TRUE(encoder.Encode(request, &body));
  v1::WriteRequest decoded;
  ASSERT_TRUE(decoded.ParseFromString(body));
  EXPECT_EQ(decoded.sequence(), 0u);
  EXPECT_EQ(decoded.writer_id(), 0u);
  v1::WriteRequest want = request;
  want.clear_sequence();
  want.clear_writer_id();
  EXPECT_EQ(decoded.SerializeAsString(), want.SerializeAsString());
  // Nothing in field 100 or 101: a prompb.WriteRequest reader sees no
  // unknown fields.
  EXPECT_EQ(body, want.SerializeAsString());
}

TEST(RemoteWriteEncoderTest, V2UsesOneSymbolsTableStartingWithEmpty) {
  RemoteWriteEncoder encoder(RemoteWriteProtocol::kV2);
  EXPECT_EQ(encoder.content_type(),
            "application/x-protobuf;proto=io.prometheus.write.v2.Request");
  EXPECT_EQ(encoder.version(), "2.0.0");
  std::string body;
  ASSERT_TRUE(encoder.Encode(SomeRequest(), &body));
  v2::Request decoded;
  ASSERT_TRUE(decoded.ParseFromString(body));
  ASSERT_GT(decoded.symbols_size(), 0);
  EXPECT_EQ(decoded.symbols(0), "");
  // Each string once: "job" and "api" are shared by both series.
  std::vector<std::string> symbols(decoded.symbols().begin(),
                                   decoded.symbols().end());
  std::sort(symbols.begin(), symbols.end());
  EXPECT_EQ(std::unique(symbols.begin(), symbols.end()), symbols.end());

  ASSERT_EQ(decoded.timeseries_size(), 2);
  const v2::TimeSeries& counter = decoded.timeseries(0);
  EXPECT_THAT(Resolve(decoded, counter.labels_refs()),
              ElementsAre(Pair("__name__", "http_requests_total"),
                          Pair("job", "api")));
  ASSERT_EQ(counter.samples_size(), 1);
  EXPECT_EQ(counter.samples(0).value(), 17);
  EXPECT_EQ(counter.samples(0).timestamp(), 1700000000000);
  ASSERT_EQ(counter.exemplars_size(), 1);
  EXPECT_THAT(Resolve(decoded, counter.exemplars(0).labels_refs()),
              ElementsAre(Pair("trace_id", "abc")));
  EXPECT_EQ(counter.exemplars(0).value(), 0.5);
  EXPECT_EQ(counter.exemplars(0).timestamp(), 1700000000001);
  EXPECT_FALSE(counter.has_metadata());

  const v2::TimeSeries& hist = decoded.timeseries(1);
  ASSERT_EQ(hist.histograms_size(), 1);
  const v2::Histogram& h = hist.histograms(0);
  EXPECT_EQ(h.count_int(), 3u);
  EXPECT_EQ(h.sum(), 1.5);
  EXPECT_EQ(h.schema(), 2);
  EXPECT_EQ(h.zero_threshold(), 0.001);
  EXPECT_EQ(h.zero_count_int(), 1u);
  ASSERT_EQ(h.positive_spans_size(), 1);
  EXPECT_EQ(h.positive_spans(0).offset(), -1);
  EXPECT_EQ(h.positive_spans(0).length(), 2u);
  EXPECT_THAT(h.positive_deltas(), ElementsAre(1, 1));
  EXPECT_EQ(h.reset_hint(), v2::Histogram::RESET_HINT_NO);
  EXPECT_EQ(h.timestamp(), 1700000000002);
}

TEST(RemoteWriteEncoderTest, V2AttachesRememberedMetadataToTheFamily) {
  RemoteWriteEncoder encoder(RemoteWriteProtocol::kV2);
  v1::WriteRequest metadata_only;
  v1::MetricMetadata* md = metadata_only.add_metadata();
  md->set_type(v1::MetricMetadata::COUNTER);
  md->set_metric_family_name("http_requests");
  md->set_help("Requests served.");
  md->set_unit("");
  std::string body;
  EXPECT_FALSE(encoder.Encode(metadata_only, &body));  // Nothing to send.

  ASSERT_TRUE(encoder.Encode(SomeRequest(), &body));
  v2::Request decoded;
  ASSERT_TRUE(decoded.ParseFromString(body));
  const v2::TimeSeries& counter = decoded.timeseries(0);
  ASSERT_TRUE(counter.has_metadata());  // http_requests + "_total".
  EXPECT_EQ(counter.metadata().type(), v2::Metadata::METRIC_TYPE_COUNTER);
  EXPECT_EQ(decoded.symbols(counter.metadata().help_ref()),
            "Requests served.");
  EXPECT_EQ(counter.metadata().unit_ref(), 0u);  // "" is symbol 0.
  EXPECT_FALSE(decoded.timeseries(1).has_metadata());
}

TEST(RemoteWriteEncoderTest, StartTimestampsGoToV2AndNotToV1) {
  v1::WriteRequest request = SomeRequest();
  request.mutable_timeseries(0)->mutable_samples(0)->set_start_timestamp(
      1690000000000);
  request.mutable_timeseries(1)->mutable_histograms(0)->set_start_timestamp(
      1690000000001);
  std::string body;
  ASSERT_TRUE(RemoteWriteEncoder(RemoteWriteProtocol::kV2).Encode(request, &body));
  v2::Request v2req;
  ASSERT_TRUE(v2req.ParseFromString(body));
  EXPECT_EQ(v2req.timeseries(0).samples(0).start_timestamp(), 1690000000000);
  EXPECT_EQ(v2req.timeseries(1).histograms(0).start_timestamp(),
            1690000000001);
  // Remote write 1.0 has no such field: the body is SomeRequest()'s.
  ASSERT_TRUE(RemoteWriteEncoder(RemoteWriteProtocol::kV1).Encode(request, &body));
  v1::WriteRequest want = SomeRequest();
  want.clear_sequence();
  want.clear_writer_id();
  EXPECT_EQ(body, want.SerializeAsString());
}

TEST(RemoteWriteEncoderTest, EmptyRequestHasNothingToSend) {
  std::string body;
  EXPECT_FALSE(RemoteWriteEncoder(RemoteWriteProtocol::kV1)
                   .Encode(v1::WriteRequest(), &body));
  EXPECT_FALSE(RemoteWriteEncoder(RemoteWriteProtocol::kV2)
                   .Encode(v1::WriteRequest(), &body));
}

}  // namespace
}  // namespace promscrape::host
