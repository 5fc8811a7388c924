#include "plugin/remote/v2_transcoder.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/model/metadata.h"
#include "plugin/remote/wire_encoder.h"
#include "proto/io/prometheus/write/v2/types.pb.h"
#include "proto/remote/v1/remote.pb.h"

namespace promscrape::remote {
namespace {

namespace v2 = ::io::prometheus::write::v2;

using ::testing::ElementsAre;
using ::testing::Pair;

// The transcoder writes these field numbers by hand.
static_assert(v1::WriteRequestV2::kSymbolsFieldNumber == 4);
static_assert(v1::WriteRequestV2::kTimeseriesFieldNumber == 5);
static_assert(v1::WriteRequestV2::kSequenceFieldNumber == 100);
static_assert(v1::WriteRequestV2::kWriterIdFieldNumber == 101);
static_assert(v1::TimeSeriesV2::kLabelsRefsFieldNumber == 1);
static_assert(v1::TimeSeriesV2::kSamplesFieldNumber == 2);
static_assert(v1::TimeSeriesV2::kHistogramsFieldNumber == 3);
static_assert(v1::TimeSeriesV2::kExemplarsFieldNumber == 4);
static_assert(v1::TimeSeriesV2::kMetadataFieldNumber == 5);
static_assert(v1::ExemplarV2::kLabelsRefsFieldNumber == 1);
static_assert(v1::MetadataV2::kTypeFieldNumber == 1);
static_assert(v1::MetadataV2::kHelpRefFieldNumber == 3);
static_assert(v1::MetadataV2::kUnitRefFieldNumber == 4);
// And promise remote write 2.0's.
static_assert(v2::Request::kSymbolsFieldNumber == 4);
static_assert(v2::Request::kTimeseriesFieldNumber == 5);
static_assert(v2::TimeSeries::kMetadataFieldNumber == 5);
static_assert(v2::Sample::kStartTimestampFieldNumber == 3);
static_assert(v2::Histogram::kStartTimestampFieldNumber == 17);
static_assert(v2::Histogram::kCustomValuesFieldNumber == 16);

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

struct L {
  absl::string_view name;
  absl::string_view value;
};

double FromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

uint64_t ToBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}

std::vector<std::pair<std::string, std::string>> Resolve(
    const v1::WriteRequestV2& r,
    const google::protobuf::RepeatedField<uint32_t>& refs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i + 1 < refs.size(); i += 2) {
    out.emplace_back(r.symbols(static_cast<int>(refs[i])),
                     r.symbols(static_cast<int>(refs[i + 1])));
  }
  return out;
}

v1::Histogram CustomBucketHistogram() {
  v1::Histogram h;
  h.set_count_int(7);
  h.set_sum(12.5);
  h.set_schema(-53);
  h.add_positive_spans()->set_length(2);
  h.add_positive_deltas(3);
  h.add_positive_deltas(1);
  h.add_custom_values(0.5);
  h.add_custom_values(1);
  h.set_reset_hint(v1::Histogram::NO);
  h.set_start_timestamp(1000);
  return h;
}

TEST(V2TranscoderTest, SamplesKeepLabelsValuesAndStartTimestamps) {
  std::string records;
  const L up[] = {{"__name__", "up"}, {"instance", "a:1"}, {"job", "node"}};
  const L gone[] = {{"__name__", "gone"}, {"instance", "a:1"}, {"job", "node"}};
  wire::RecordEncoder e;
  e.Begin(&records);
  for (const L& l : up) e.AddLabel(l.name, l.value);
  e.FinishWithSample(2000, 1, /*start_timestamp_ms=*/1500);
  wire::AppendSampleRecord(&records, gone, 2000, FromBits(kStaleNaNBits));
  wire::AppendSequence(&records, 42);
  wire::AppendWriterId(&records, 7);

  V2Transcoder t;
  std::string out;
  ASSERT_TRUE(t.Transcode(records, &out).ok());
  v1::WriteRequestV2 r;
  ASSERT_TRUE(r.ParseFromString(out));

  EXPECT_EQ(r.sequence(), 42u);
  EXPECT_EQ(r.writer_id(), 7u);
  ASSERT_GE(r.symbols_size(), 1);
  EXPECT_EQ(r.symbols(0), "");
  // Interned once per request: "", __name__, up, instance, a:1, job, node,
  // gone.
  EXPECT_EQ(r.symbols_size(), 8);
  ASSERT_EQ(r.timeseries_size(), 2);
  EXPECT_THAT(Resolve(r, r.timeseries(0).labels_refs()),
              ElementsAre(Pair("__name__", "up"), Pair("instance", "a:1"),
                          Pair("job", "node")));
  ASSERT_EQ(r.timeseries(0).samples_size(), 1);
  EXPECT_EQ(r.timeseries(0).samples(0).value(), 1);
  EXPECT_EQ(r.timeseries(0).samples(0).timestamp(), 2000);
  EXPECT_EQ(r.timeseries(0).samples(0).start_timestamp(), 1500);
  EXPECT_FALSE(r.timeseries(0).has_metadata());
  ASSERT_EQ(r.timeseries(1).samples_size(), 1);
  EXPECT_EQ(ToBits(r.timeseries(1).samples(0).value()), kStaleNaNBits);
  EXPECT_EQ(r.timeseries(1).samples(0).start_timestamp(), 0);
}

TEST(V2TranscoderTest, HistogramsAreCopiedBitExact) {
  const v1::Histogram h = CustomBucketHistogram();
  std::string records;
  const L labels[] = {{"__name__", "rpc_seconds"}, {"job", "api"}};
  wire::AppendHistogramRecord(&records, labels, 3000, h);
  wire::AppendSequence(&records, 1);

  V2Transcoder t;
  std::string out;
  ASSERT_TRUE(t.Transcode(records, &out).ok());
  v1::WriteRequestV2 r;
  ASSERT_TRUE(r.ParseFromString(out));
  ASSERT_EQ(r.timeseries_size(), 1);
  ASSERT_EQ(r.timeseries(0).histograms_size(), 1);
  v1::Histogram want = h;
  want.set_timestamp(3000);
  EXPECT_EQ(r.timeseries(0).histograms(0).SerializeAsString(),
            want.SerializeAsString());
  EXPECT_EQ(r.timeseries(0).histograms(0).custom_values_size(), 2);
  EXPECT_EQ(r.timeseries(0).histograms(0).start_timestamp(), 1000);
}

TEST(V2TranscoderTest, ExemplarAttachesToThePrecedingSampleOfItsSeries) {
  std::string records;
  const L series[] = {{"__name__", "req_total"}, {"job", "api"}};
  const L other[] = {{"__name__", "req_total"}, {"job", "web"}};
  const L trace[] = {{"trace_id", "abc"}};
  wire::AppendSampleRecord(&records, series, 4000, 10);
  wire::RecordEncoder e;
  e.Begin(&records);
  for (const L& l : series) e.AddLabel(l.name, l.value);
  e.FinishWithExemplar(trace, 0.25, 3999);
  // An exemplar whose series is not the preceding one stays on its own.
  e.Begin(&records);
  for (const L& l : other) e.AddLabel(l.name, l.value);
  e.FinishWithExemplar(trace, 0.5, 3998);
  wire::AppendSequence(&records, 1);

  V2Transcoder t;
  std::string out;
  ASSERT_TRUE(t.Transcode(records, &out).ok());
  v1::WriteRequestV2 r;
  ASSERT_TRUE(r.ParseFromString(out));
  ASSERT_EQ(r.timeseries_size(), 2);
  const v1::TimeSeriesV2& ts = r.timeseries(0);
  EXPECT_EQ(ts.samples_size(), 1);
  ASSERT_EQ(ts.exemplars_size(), 1);
  EXPECT_THAT(Resolve(r, ts.exemplars(0).labels_refs()),
              ElementsAre(Pair("trace_id", "abc")));
  EXPECT_EQ(ts.exemplars(0).value(), 0.25);
  EXPECT_EQ(ts.exemplars(0).timestamp(), 3999);
  EXPECT_EQ(r.timeseries(1).samples_size(), 0);
  ASSERT_EQ(r.timeseries(1).exemplars_size(), 1);
  EXPECT_THAT(Resolve(r, r.timeseries(1).labels_refs()),
              ElementsAre(Pair("__name__", "req_total"), Pair("job", "web")));
}

TEST(V2TranscoderTest, MetadataBecomesASeriesAndIsAttachedToItsFamily) {
  model::MetricMetadata md;
  md.metric = "http_requests";
  md.type = model::MetricType::kCounter;
  md.help = "Requests served.";
  md.unit = "requests";
  std::string metadata_request;
  wire::AppendMetadataRecord(&metadata_request, md);
  wire::AppendSequence(&metadata_request, 1);

  V2Transcoder t;
  std::string out;
  ASSERT_TRUE(t.Transcode(metadata_request, &out).ok());
  v1::WriteRequestV2 r;
  ASSERT_TRUE(r.ParseFromString(out));
  ASSERT_EQ(r.timeseries_size(), 1);
  EXPECT_THAT(Resolve(r, r.timeseries(0).labels_refs()),
              ElementsAre(Pair("__name__", "http_requests")));
  EXPECT_EQ(r.timeseries(0).samples_size(), 0);
  ASSERT_TRUE(r.timeseries(0).has_metadata());
  EXPECT_EQ(r.timeseries(0).metadata().type(), v1::MetricMetadata::COUNTER);
  EXPECT_EQ(r.symbols(static_cast<int>(r.timeseries(0).metadata().help_ref())),
            "Requests served.");
  EXPECT_EQ(r.symbols(static_cast<int>(r.timeseries(0).metadata().unit_ref())),
            "requests");

  // A later request's series of that family carry it (0.0.4 names the
  // counter's series with _total).
  std::string samples;
  const L counter[] = {{"__name__", "http_requests_total"}, {"job", "api"}};
  const L unrelated[] = {{"__name__", "up"}, {"job", "api"}};
  wire::AppendSampleRecord(&samples, counter, 5000, 3);
  wire::AppendSampleRecord(&samples, unrelated, 5000, 1);
  wire::AppendSequence(&samples, 2);
  ASSERT_TRUE(t.Transcode(samples, &out).ok());
  ASSERT_TRUE(r.ParseFromString(out));
  ASSERT_EQ(r.timeseries_size(), 2);
  ASSERT_TRUE(r.timeseries(0).has_metadata());
  EXPECT_EQ(r.timeseries(0).metadata().type(), v1::MetricMetadata::COUNTER);
  EXPECT_EQ(r.symbols(static_cast<int>(r.timeseries(0).metadata().help_ref())),
            "Requests served.");
  EXPECT_FALSE(r.timeseries(1).has_metadata());
  EXPECT_EQ(t.families(), 1u);
}

// The queue passes may_hold_metadata = false for batches whose kinds hold
// no metadata: the output is the same bytes, and a metadata record there
// anyway (kinds a caller got wrong) still reaches the series before it.
TEST(V2TranscoderTest, NoMetadataHintGivesTheSameBytesAndIsOnlyAHint) {
  const L a[] = {{"__name__", "http_requests_total"}, {"job", "api"}};
  const L b[] = {{"__name__", "up"}, {"instance", "h:1"}, {"job", "api"}};
  std::string samples;
  wire::AppendSampleRecord(&samples, a, 5000, 3);
  wire::AppendSampleRecord(&samples, b, 5000, 1);
  wire::AppendSampleRecord(&samples, a, 6000, 4);
  wire::AppendSequence(&samples, 9);
  std::string with_read, without_read;
  V2Transcoder t1, t2;
  ASSERT_TRUE(t1.Transcode(samples, &with_read).ok());
  ASSERT_TRUE(t2.Transcode(samples, &without_read, false).ok());
  EXPECT_EQ(with_read, without_read);

  // Metadata after the series it describes, in a request said to hold none.
  model::MetricMetadata md;
  md.metric = "http_requests";
  md.type = model::MetricType::kCounter;
  md.help = "Requests served.";
  std::string mixed;
  wire::AppendSampleRecord(&mixed, a, 5000, 3);
  wire::AppendMetadataRecord(&mixed, md);
  wire::AppendSequence(&mixed, 10);
  ASSERT_TRUE(t1.Transcode(mixed, &with_read).ok());
  ASSERT_TRUE(t2.Transcode(mixed, &without_read, false).ok());
  EXPECT_EQ(with_read, without_read);
  v1::WriteRequestV2 r;
  ASSERT_TRUE(r.ParseFromString(without_read));
  ASSERT_EQ(r.timeseries_size(), 2);
  ASSERT_TRUE(r.timeseries(0).has_metadata());
  EXPECT_EQ(r.timeseries(0).metadata().type(), v1::MetricMetadata::COUNTER);
  EXPECT_EQ(r.sequence(), 10u);

  // A malformed request is refused either way.
  std::string broken = samples.substr(0, samples.size() / 2);
  EXPECT_FALSE(t2.Transcode(broken, &without_read, false).ok());
}

// Runs of series of one family, broken by series of another or of none,
// each carry their own family's metadata, with refs into their own
// request's symbols (a later request may order its symbols differently
// and change a family's help).
TEST(V2TranscoderTest, EachSeriesCarriesItsFamilyInRunsAndAcrossRequests) {
  auto metadata = [](absl::string_view name, model::MetricType type,
                     absl::string_view help) {
    model::MetricMetadata md;
    md.metric = std::string(name);
    md.type = type;
    md.help = std::string(help);
    return md;
  };
  const L cpu0[] = {{"__name__", "cpu_seconds_total"}, {"cpu", "0"}};
  const L cpu1[] = {{"__name__", "cpu_seconds_total"}, {"cpu", "1"}};
  const L mem[] = {{"__name__", "mem_bytes"}, {"job", "a"}};
  const L up[] = {{"__name__", "up"}, {"job", "a"}};
  V2Transcoder t;
  for (int round = 0; round < 2; ++round) {
    const std::string cpu_help = round == 0 ? "CPU time." : "CPU time, v2.";
    std::string request;
    // The second round names an unrelated symbol first, so every ref moves.
    if (round == 1) {
      const L first[] = {{"__name__", "zzz"}, {"other", "x"}};
      wire::AppendSampleRecord(&request, first, 1, 1);
    }
    wire::AppendSampleRecord(&request, cpu0, 1000, 1);
    wire::AppendSampleRecord(&request, cpu1, 1000, 2);
    wire::AppendSampleRecord(&request, up, 1000, 1);
    wire::AppendSampleRecord(&request, cpu0, 2000, 3);
    wire::AppendSampleRecord(&request, mem, 1000, 4);
    wire::AppendSampleRecord(&request, mem, 2000, 5);
    wire::AppendMetadataRecord(
        &request, metadata("cpu_seconds", model::MetricType::kCounter,
                           cpu_help));
    wire::AppendMetadataRecord(
        &request,
        metadata("mem_bytes", model::MetricType::kGauge, "Memory in use."));
    wire::AppendSequence(&request, 1 + round);
    std::string out;
    ASSERT_TRUE(t.Transcode(request, &out).ok());
    v1::WriteRequestV2 r;
    ASSERT_TRUE(r.ParseFromString(out));
    int checked = 0;
    for (const auto& ts : r.timeseries()) {
      if (ts.samples_size() == 0) continue;  // A metadata series.
      const std::string name =
          r.symbols(static_cast<int>(ts.labels_refs(1)));
      if (name == "cpu_seconds_total") {
        ASSERT_TRUE(ts.has_metadata()) << round;
        EXPECT_EQ(ts.metadata().type(), v1::MetricMetadata::COUNTER);
        EXPECT_EQ(r.symbols(static_cast<int>(ts.metadata().help_ref())),
                  cpu_help);
      } else if (name == "mem_bytes") {
        ASSERT_TRUE(ts.has_metadata()) << round;
        EXPECT_EQ(ts.metadata().type(), v1::MetricMetadata::GAUGE);
        EXPECT_EQ(r.symbols(static_cast<int>(ts.metadata().help_ref())),
                  "Memory in use.");
      } else {
        EXPECT_FALSE(ts.has_metadata()) << name;
      }
      ++checked;
    }
    EXPECT_EQ(checked, round == 0 ? 6 : 7);
  }
}

TEST(V2TranscoderTest, OutputIsARemoteWrite2Request) {
  std::string records;
  const L labels[] = {{"__name__", "up"}, {"job", "node"}};
  wire::RecordEncoder e;
  e.Begin(&records);
  for (const L& l : labels) e.AddLabel(l.name, l.value);
  e.FinishWithSample(2000, 1, 1500);
  wire::AppendHistogramRecord(&records, labels, 3000, CustomBucketHistogram());
  wire::AppendSequence(&records, 9);

  V2Transcoder t;
  std::string out;
  ASSERT_TRUE(t.Transcode(records, &out).ok());
  v1::WriteRequestV2 ours;
  ASSERT_TRUE(ours.ParseFromString(out));
  ours.clear_sequence();
  ours.clear_writer_id();
  v2::Request theirs;
  ASSERT_TRUE(theirs.ParseFromString(ours.SerializeAsString()));
  ASSERT_EQ(theirs.timeseries_size(), 2);
  EXPECT_EQ(theirs.symbols(0), "");
  EXPECT_EQ(theirs.timeseries(0).samples(0).start_timestamp(), 1500);
  EXPECT_EQ(theirs.timeseries(1).histograms(0).schema(), -53);
  EXPECT_EQ(theirs.timeseries(1).histograms(0).custom_values(1), 1);
  EXPECT_EQ(theirs.timeseries(1).histograms(0).reset_hint(),
            v2::Histogram::RESET_HINT_NO);
}

TEST(V2TranscoderTest, BuffersAreReusedAcrossRequests) {
  std::string a, b;
  const L one[] = {{"__name__", "one"}};
  const L two[] = {{"__name__", "two"}};
  wire::AppendSampleRecord(&a, one, 1, 1);
  wire::AppendSequence(&a, 1);
  wire::AppendSampleRecord(&b, two, 2, 2);
  wire::AppendSequence(&b, 2);
  V2Transcoder t;
  std::string out;
  ASSERT_TRUE(t.Transcode(a, &out).ok());
  ASSERT_TRUE(t.Transcode(b, &out).ok());
  v1::WriteRequestV2 r;
  ASSERT_TRUE(r.ParseFromString(out));
  // Nothing of the first request leaks into the second's symbols.
  EXPECT_THAT(r.symbols(), ElementsAre("", "__name__", "two"));
  EXPECT_EQ(r.sequence(), 2u);
}

TEST(V2TranscoderTest, MalformedInputIsAnError) {
  V2Transcoder t;
  std::string out;
  const std::string truncated("\x0a\x10\x0a", 3);
  EXPECT_EQ(t.Transcode(truncated, &out).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace promscrape::remote
