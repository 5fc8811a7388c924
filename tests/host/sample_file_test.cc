#include "tools/host/sample_file.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::host {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

v1::TimeSeries Series() {
  v1::TimeSeries ts;
  auto add = [&](const char* n, const char* v) {
    v1::Label* l = ts.add_labels();
    l->set_name(n);
    l->set_value(v);
  };
  add("__name__", "up");
  add("instance", "localhost:9100");
  add("job", "node");
  return ts;
}

std::string Line(double value, int64_t t = 1700000000123) {
  v1::Sample s;
  s.set_value(value);
  s.set_timestamp(t);
  std::string out;
  AppendSampleJson(Series(), s, out);
  return out;
}

TEST(SampleJsonTest, MatchesTheDocumentedLineFormat) {
  EXPECT_EQ(Line(1),
            R"({"labels":{"__name__":"up","instance":"localhost:9100","job":"node"},"t":1700000000123,"v":1})");
}

TEST(SampleJsonTest, NumbersRoundTripAndSpecialValuesAreStrings) {
  EXPECT_THAT(Line(0.1), HasSubstr(R"("v":0.1})"));
  EXPECT_THAT(Line(-2.5e-300), HasSubstr(R"("v":-2.5e-300})"));
  EXPECT_THAT(Line(123456789012345678.0), HasSubstr(R"("v":123456789012345680})"));
  EXPECT_THAT(Line(std::numeric_limits<double>::quiet_NaN()),
              HasSubstr(R"("v":"NaN"})"));
  EXPECT_THAT(Line(std::numeric_limits<double>::infinity()),
              HasSubstr(R"("v":"+Inf"})"));
  EXPECT_THAT(Line(-std::numeric_limits<double>::infinity()),
              HasSubstr(R"("v":"-Inf"})"));
  const uint64_t stale_bits = 0x7ff0000000000002ULL;
  double stale;
  std::memcpy(&stale, &stale_bits, sizeof stale);
  EXPECT_THAT(Line(stale), HasSubstr(R"("v":"StaleNaN"})"));
  EXPECT_THAT(Line(1, -5), HasSubstr(R"("t":-5,)"));
}

TEST(SampleJsonTest, LabelValuesAreEscaped) {
  v1::TimeSeries ts;
  v1::Label* l = ts.add_labels();
  l->set_name("path");
  l->set_value(std::string("a\"b\\c\nd\te\x01", 10));
  v1::Sample s;
  std::string out;
  AppendSampleJson(ts, s, out);
  EXPECT_EQ(out, R"({"labels":{"path":"a\"b\\c\nd\te\u0001"},"t":0,"v":0})");
}

TEST(SampleJsonTest, EscapesAreFoundAtEveryPositionOfLongValues) {
  // The escaper skips eight plain bytes at a time: put each byte that needs
  // escaping (and bytes just outside the escaped ranges) at every offset
  // of values longer than a word, and compare with a byte-by-byte escaper.
  auto naive = [](const std::string& v) {
    std::string out;
    for (unsigned char c : v) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
    }
    return out;
  };
  const std::string specials("\"\\\n\r\t\x01\x1f\x00 !#[]\x7f\x80\xff", 17);
  for (size_t len : {1, 7, 8, 9, 16, 23, 40}) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (char special : specials) {
        std::string value(len, 'a');
        value[pos] = special;
        v1::TimeSeries ts;
        v1::Label* l = ts.add_labels();
        l->set_name("n");
        l->set_value(value);
        v1::Sample s;
        std::string out;
        AppendSampleJson(ts, s, out);
        EXPECT_EQ(out, "{\"labels\":{\"n\":\"" + naive(value) +
                           "\"},\"t\":0,\"v\":0}")
            << "len " << len << " pos " << pos << " byte "
            << static_cast<int>(static_cast<unsigned char>(special));
      }
    }
  }
}

TEST(SampleJsonTest, StartTimestampIsStWhenSet) {
  v1::Sample s;
  s.set_value(3);
  s.set_timestamp(2000);
  s.set_start_timestamp(1500);
  std::string out;
  AppendSampleJson(Series(), s, out);
  EXPECT_THAT(out, HasSubstr(R"("t":2000,"st":1500,"v":3})"));
  v1::Histogram h;
  h.set_count_int(1);
  h.set_timestamp(2000);
  h.set_start_timestamp(1000);
  out.clear();
  AppendHistogramJson(Series(), h, out);
  EXPECT_THAT(out, HasSubstr(R"("t":2000,"st":1000,"h":{)"));
}

TEST(SampleJsonTest, NativeHistogramGetsAnHObject) {
  v1::Histogram h;
  h.set_count_int(5);
  h.set_sum(12.5);
  h.set_schema(3);
  h.set_zero_threshold(1e-128);
  h.set_zero_count_int(1);
  v1::BucketSpan* span = h.add_positive_spans();
  span->set_offset(-2);
  span->set_length(2);
  h.add_positive_deltas(3);
  h.add_positive_deltas(-2);
  h.set_timestamp(42);
  std::string out;
  AppendHistogramJson(Series(), h, out);
  EXPECT_THAT(out, HasSubstr(R"("t":42,"h":{"count":5,"sum":12.5,"schema":3,)"
                             R"("zero_threshold":1e-128,"zero_count":1,)"
                             R"("positive_spans":[{"offset":-2,"length":2}],)"
                             R"("positive_deltas":[3,-2],"negative_spans":[],)"
                             R"("negative_deltas":[]}})"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("\"v\"")));
}

TEST(SampleFileTest, AppendsOneLinePerSampleAcrossOpens) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) +
                     "/nested/dir/samples.jsonl";
  v1::WriteRequest request;
  *request.add_timeseries() = Series();
  v1::Sample* a = request.mutable_timeseries(0)->add_samples();
  a->set_value(1);
  a->set_timestamp(10);
  v1::Sample* b = request.mutable_timeseries(0)->add_samples();
  b->set_value(0);
  b->set_timestamp(20);
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file, SampleFile::Open(path, true));
    PROMSCRAPE_ASSERT_OK(file->Append(request));
    EXPECT_EQ(file->samples_written(), 2);
  }
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file, SampleFile::Open(path, false));
    PROMSCRAPE_ASSERT_OK(file->Append(request));
  }
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_THAT(line, HasSubstr(R"("__name__":"up")"));
  }
  EXPECT_EQ(lines, 4);
}

TEST(SampleFileTest, UnwritablePathIsAClearError) {
  EXPECT_THAT(SampleFile::Open("/proc/nope/samples.jsonl", false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("storage.file: cannot")));
}

TEST(SampleFileTest, FullDiskFailsTheAppend) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file,
                                  SampleFile::Open("/dev/full", false));
  v1::WriteRequest request;
  *request.add_timeseries() = Series();
  request.mutable_timeseries(0)->add_samples()->set_value(1);
  EXPECT_THAT(file->Append(request),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("/dev/full")));
}

v1::WriteRequest OneSampleRequest() {
  v1::WriteRequest request;
  *request.add_timeseries() = Series();
  request.mutable_timeseries(0)->add_samples()->set_value(1);
  return request;
}

TEST(SampleFileTest, FsyncSyncsTheDirectoryOnOpenAndTheFileOnEveryAppend) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/fsync/samples.jsonl";
  int syncs = 0;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto file, SampleFile::Open(path, true, [&](int fd) {
        ++syncs;
        return ::fsync(fd);
      }));
  EXPECT_EQ(syncs, 1);  // The parent directory.
  PROMSCRAPE_ASSERT_OK(file->Append(OneSampleRequest()));
  PROMSCRAPE_ASSERT_OK(file->Append(OneSampleRequest()));
  EXPECT_EQ(syncs, 3);
}

TEST(SampleFileTest, NoFsyncMeansNoSync) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/nofsync/samples.jsonl";
  int syncs = 0;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file,
                                  SampleFile::Open(path, false, [&](int) {
                                    ++syncs;
                                    return 0;
                                  }));
  PROMSCRAPE_ASSERT_OK(file->Append(OneSampleRequest()));
  EXPECT_EQ(syncs, 0);
}

TEST(SampleFileTest, FailedFsyncFailsTheAppend) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/eio/samples.jsonl";
  bool fail = false;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file,
                                  SampleFile::Open(path, true, [&](int) {
                                    if (!fail) return 0;
                                    errno = EIO;
                                    return -1;
                                  }));
  fail = true;
  EXPECT_THAT(file->Append(OneSampleRequest()),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("Input/output error")));
}

}  // namespace
}  // namespace promscrape::host
