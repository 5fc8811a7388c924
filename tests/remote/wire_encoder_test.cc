#include "plugin/remote/wire_encoder.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "proto/remote/v1/remote.pb.h"

namespace promscrape::remote::wire {
namespace {

static_assert(kWriteRequestTimeseries ==
              v1::WriteRequest::kTimeseriesFieldNumber);
static_assert(kWriteRequestSequence == v1::WriteRequest::kSequenceFieldNumber);
static_assert(kTimeSeriesLabels == v1::TimeSeries::kLabelsFieldNumber);
static_assert(kTimeSeriesSamples == v1::TimeSeries::kSamplesFieldNumber);
static_assert(kTimeSeriesHistograms == v1::TimeSeries::kHistogramsFieldNumber);
static_assert(kLabelName == v1::Label::kNameFieldNumber);
static_assert(kLabelValue == v1::Label::kValueFieldNumber);
static_assert(kSampleValue == v1::Sample::kValueFieldNumber);
static_assert(kSampleTimestamp == v1::Sample::kTimestampFieldNumber);

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

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

struct L {
  std::string name;
  std::string value;
};

struct Case {
  std::vector<L> labels;
  int64_t timestamp_ms;
  double value;
  bool histogram = false;
};

v1::Histogram SomeHistogram() {
  v1::Histogram h;
  h.set_count_int(7);
  h.set_sum(3.5);
  h.set_schema(-1);
  h.set_zero_threshold(0.001);
  h.set_zero_count_int(2);
  v1::BucketSpan* span = h.add_positive_spans();
  span->set_offset(-2);
  span->set_length(3);
  h.add_positive_deltas(1);
  h.add_positive_deltas(-2);
  h.add_positive_deltas(5);
  h.set_reset_hint(v1::Histogram::GAUGE);
  h.set_timestamp(42);  // Replaced by the record's timestamp.
  return h;
}

// The request the queue built with protobuf messages before it wrote wire
// bytes itself.
v1::WriteRequest OldRequest(const std::vector<Case>& cases, uint64_t sequence) {
  v1::WriteRequest request;
  for (const Case& c : cases) {
    v1::TimeSeries* series = request.add_timeseries();
    for (const L& l : c.labels) {
      v1::Label* label = series->add_labels();
      label->set_name(l.name);
      label->set_value(l.value);
    }
    if (c.histogram) {
      v1::Histogram* h = series->add_histograms();
      *h = SomeHistogram();
      h->set_timestamp(c.timestamp_ms);
    } else {
      v1::Sample* sample = series->add_samples();
      sample->set_value(c.value);
      sample->set_timestamp(c.timestamp_ms);
    }
  }
  request.set_sequence(sequence);
  return request;
}

std::string Encode(const std::vector<Case>& cases, uint64_t sequence) {
  std::string out;
  for (const Case& c : cases) {
    if (c.histogram) {
      AppendHistogramRecord(&out, c.labels, c.timestamp_ms, SomeHistogram());
    } else {
      AppendSampleRecord(&out, c.labels, c.timestamp_ms, c.value);
    }
  }
  AppendSequence(&out, sequence);
  return out;
}

void ExpectSameRequest(const std::vector<Case>& cases, uint64_t sequence) {
  std::string bytes = Encode(cases, sequence);
  v1::WriteRequest got;
  ASSERT_TRUE(got.ParseFromString(bytes));
  v1::WriteRequest want = OldRequest(cases, sequence);
  // Lite messages have no MessageDifferencer; deterministic serialization of
  // both parsed messages compares every field.
  std::string got_bytes;
  std::string want_bytes;
  {
    google::protobuf::io::StringOutputStream s1(&got_bytes);
    google::protobuf::io::CodedOutputStream c1(&s1);
    c1.SetSerializationDeterministic(true);
    got.SerializeToCodedStream(&c1);
  }
  {
    google::protobuf::io::StringOutputStream s2(&want_bytes);
    google::protobuf::io::CodedOutputStream c2(&s2);
    c2.SetSerializationDeterministic(true);
    want.SerializeToCodedStream(&c2);
  }
  EXPECT_EQ(got_bytes, want_bytes);
  ASSERT_EQ(got.timeseries_size(), static_cast<int>(cases.size()));
  EXPECT_EQ(got.sequence(), sequence);
  for (size_t i = 0; i < cases.size(); ++i) {
    const v1::TimeSeries& ts = got.timeseries(static_cast<int>(i));
    ASSERT_EQ(ts.labels_size(), static_cast<int>(cases[i].labels.size()));
    for (size_t j = 0; j < cases[i].labels.size(); ++j) {
      EXPECT_EQ(ts.labels(static_cast<int>(j)).name(), cases[i].labels[j].name);
      EXPECT_EQ(ts.labels(static_cast<int>(j)).value(),
                cases[i].labels[j].value);
    }
    if (cases[i].histogram) continue;
    ASSERT_EQ(ts.samples_size(), 1);
    EXPECT_EQ(ToBits(ts.samples(0).value()), ToBits(cases[i].value));
    EXPECT_EQ(ts.samples(0).timestamp(), cases[i].timestamp_ms);
  }
}

TEST(WireEncoderTest, SimpleSeries) {
  ExpectSameRequest({{{{"__name__", "up"}, {"job", "node"}}, 1000, 1}}, 1);
}

TEST(WireEncoderTest, EmptyNamesAndValues) {
  ExpectSameRequest(
      {{{{"__name__", "x"}, {"a", ""}, {"", ""}, {"", "v"}}, 5, 2.5},
       {{}, 6, 3}},
      7);
}

TEST(WireEncoderTest, LongNamesAndValuesUseMultiByteLengths) {
  const std::string n127(127, 'n');
  const std::string v128(128, 'v');
  const std::string v300(300, 'w');
  const std::string v20k(20000, 'z');   // The record needs a 3-byte length.
  const std::string v3m(3 << 20, 'm');  // A 4-byte length.
  ExpectSameRequest({{{{"__name__", "a"}, {n127, v128}}, 1, 1},
                     {{{"__name__", "b"}, {v128, v300}}, 2, 2},
                     {{{"__name__", "c"}, {"big", v20k}}, 3, 3},
                     {{{"__name__", "d"}, {"huge", v3m}}, 4, 4},
                     {{{"__name__", "e"}}, 5, 5}},
                    300);
}

TEST(WireEncoderTest, RecordsAroundTheReservedLengthBoundaries) {
  // Records whose body is just under/over 127 and 16383 bytes.
  std::vector<Case> cases;
  for (int size : {90, 100, 105, 110, 115, 120, 16330, 16350, 16370, 16390}) {
    cases.push_back({{{"__name__", std::string(size, 'q')}}, size, 1});
  }
  ExpectSameRequest(cases, 1);
}

TEST(WireEncoderTest, EveryShortNameAndValueLength) {
  // Names and values of 0 to 40 bytes: every branch of the inline copy
  // (under 4, 4-7, 8-16, 17-32, longer) and the edges between them.
  std::vector<Case> cases;
  for (int n = 0; n <= 40; ++n) {
    std::string name, value;
    for (int i = 0; i < n; ++i) {
      name.push_back(static_cast<char>('a' + i % 26));
      value.push_back(static_cast<char>('A' + (i * 7) % 26));
    }
    cases.push_back({{{"__name__", "m"}, {name, value}}, n, 1});
  }
  ExpectSameRequest(cases, 3);
}

TEST(WireEncoderTest, CopyBytesCopiesExactlyTheBytesAskedFor) {
  char src[64], dst[80];
  for (int i = 0; i < 64; ++i) src[i] = static_cast<char>(i + 1);
  for (size_t n = 0; n <= 64; ++n) {
    std::memset(dst, 0x55, sizeof dst);
    wire::internal::CopyBytes(dst + 8, src, n);
    for (size_t i = 0; i < sizeof dst; ++i) {
      const char want = i >= 8 && i < 8 + n ? src[i - 8] : char{0x55};
      ASSERT_EQ(dst[i], want) << "n=" << n << " i=" << i;
    }
  }
}

TEST(WireEncoderTest, ManyLabels) {
  std::vector<L> labels;
  for (int i = 0; i < 300; ++i) {
    labels.push_back(
        {"label_" + std::to_string(1000 + i), "value_" + std::to_string(i)});
  }
  ExpectSameRequest({{labels, 123456789, 0.25}}, 2);
}

TEST(WireEncoderTest, SpecialValuesKeepTheirBits) {
  std::vector<L> labels = {{"__name__", "m"}};
  ExpectSameRequest({{labels, 1, FromBits(kStaleNaNBits)},
                     {labels, 2, std::numeric_limits<double>::quiet_NaN()},
                     {labels, 3, std::numeric_limits<double>::infinity()},
                     {labels, 4, -std::numeric_limits<double>::infinity()},
                     {labels, 5, 0.0},
                     {labels, 6, -0.0},
                     {labels, 7, std::numeric_limits<double>::denorm_min()}},
                    3);
  std::string bytes;
  AppendSampleRecord(&bytes, labels, 1, FromBits(kStaleNaNBits));
  v1::WriteRequest got;
  ASSERT_TRUE(got.ParseFromString(bytes));
  EXPECT_EQ(ToBits(got.timeseries(0).samples(0).value()), kStaleNaNBits);
}

TEST(WireEncoderTest, NegativeAndZeroTimestamps) {
  std::vector<L> labels = {{"__name__", "m"}};
  ExpectSameRequest({{labels, 0, 1},
                     {labels, -1, 2},
                     {labels, -1700000000000, 3},
                     {labels, std::numeric_limits<int64_t>::min(), 4},
                     {labels, std::numeric_limits<int64_t>::max(), 5}},
                    std::numeric_limits<uint64_t>::max());
}

TEST(WireEncoderTest, Histogram) {
  ExpectSameRequest({{{{"__name__", "latency"}, {"job", "a"}}, 1000, 0, true},
                     {{{"__name__", "up"}}, 1000, 1},
                     {{{"__name__", "neg"}}, -5, 0, true}},
                    9);
}

TEST(WireEncoderTest, RecordsPrefixSizeFindsRecordBoundaries) {
  std::string records;
  std::vector<size_t> ends;
  for (int i = 0; i < 5; ++i) {
    AppendSampleRecord(
        &records, std::vector<L>{{"__name__", std::string(60 * i, 'a')}}, i, i);
    ends.push_back(records.size());
  }
  EXPECT_EQ(RecordsPrefixSize(records, 0), 0);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(RecordsPrefixSize(records, i + 1), static_cast<int64_t>(ends[i]));
  }
  EXPECT_EQ(RecordsPrefixSize(records, 6), -1);
  EXPECT_EQ(RecordsPrefixSize(absl::string_view(records).substr(0, 10), 1), -1);
  EXPECT_EQ(RecordsPrefixSize("\x12\x00", 1), -1);
}

}  // namespace
}  // namespace promscrape::remote::wire
