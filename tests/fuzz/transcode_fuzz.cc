// libFuzzer target for the remote write 2.0 transcoder
// (plugin/remote/v2_transcoder.h): arbitrary bytes as a queued
// promscrape.v1.WriteRequest never crash it, and whenever the input is a
// WriteRequest protobuf accepts and the transcoder accepts it too, the
// output is a WriteRequestV2 whose refs are all in its symbol table, and
// every record with samples or histograms became, in order, one series
// with the same labels, sample bytes and histogram count (exemplar-only
// records may join the series before them, metadata records become series
// of their own: neither has samples). Transcoding with the queue's "no
// metadata" hint gives the same verdict and bytes.
//
// Input: the request bytes.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "plugin/remote/v2_transcoder.h"
#include "proto/remote/v1/remote.pb.h"

namespace {

namespace v1 = ::promscrape::v1;

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

struct Series {
  LabelPairs labels;
  std::string samples;  // Each sample re-serialized, concatenated.
  int histograms = 0;
};

std::string SampleBytes(const v1::Sample& s) {
  std::string out;
  uint64_t bits;
  const double value = s.value();
  std::memcpy(&bits, &value, sizeof bits);
  out.append(reinterpret_cast<const char*>(&bits), sizeof bits);
  const int64_t ts = s.timestamp();
  out.append(reinterpret_cast<const char*>(&ts), sizeof ts);
  const int64_t st = s.start_timestamp();
  out.append(reinterpret_cast<const char*>(&st), sizeof st);
  return out;
}

void CheckRefs(const v1::WriteRequestV2& out) {
  const uint32_t n = static_cast<uint32_t>(out.symbols_size());
  if (n == 0 || !out.symbols(0).empty()) std::abort();
  for (const v1::TimeSeriesV2& ts : out.timeseries()) {
    if (ts.labels_refs_size() % 2 != 0) std::abort();
    for (uint32_t r : ts.labels_refs()) {
      if (r >= n) std::abort();
    }
    for (const v1::ExemplarV2& e : ts.exemplars()) {
      for (uint32_t r : e.labels_refs()) {
        if (r >= n) std::abort();
      }
    }
    if (ts.metadata().help_ref() >= n || ts.metadata().unit_ref() >= n) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string request(reinterpret_cast<const char*>(data), size);
  std::string out;
  // One transcoder for every input, as a stream keeps one: family metadata
  // carries over between requests (whatever bytes the earlier inputs held,
  // so only the absence of crashes is checked with it).
  static promscrape::remote::V2Transcoder* stream =
      new promscrape::remote::V2Transcoder();
  (void)stream->Transcode(request, &out);
  // A fresh one for the comparison with protobuf's parse.
  promscrape::remote::V2Transcoder transcoder;
  const bool ok = transcoder.Transcode(request, &out).ok();
  // The queue's hint for a batch without metadata only saves a read: the
  // same verdict and, when accepted, the same bytes (metadata found anyway
  // is handled as without the hint).
  {
    promscrape::remote::V2Transcoder hinted;
    std::string hinted_out;
    const bool hinted_ok =
        hinted.Transcode(request, &hinted_out, /*may_hold_metadata=*/false)
            .ok();
    if (hinted_ok != ok || (ok && hinted_out != out)) std::abort();
  }
  if (!ok) return 0;

  v1::WriteRequest in;
  if (!in.ParseFromString(request)) return 0;
  v1::WriteRequestV2 v2;
  if (!v2.ParseFromString(out)) std::abort();
  CheckRefs(v2);
  if (v2.sequence() != in.sequence() || v2.writer_id() != in.writer_id()) {
    std::abort();
  }

  std::vector<Series> want, got;
  for (const v1::TimeSeries& ts : in.timeseries()) {
    if (ts.samples_size() == 0 && ts.histograms_size() == 0) continue;
    Series s;
    for (const v1::Label& l : ts.labels()) s.labels.emplace_back(l.name(), l.value());
    for (const v1::Sample& sample : ts.samples()) s.samples += SampleBytes(sample);
    s.histograms = ts.histograms_size();
    want.push_back(std::move(s));
  }
  for (const v1::TimeSeriesV2& ts : v2.timeseries()) {
    if (ts.samples_size() == 0 && ts.histograms_size() == 0) continue;
    Series s;
    for (int i = 0; i + 1 < ts.labels_refs_size(); i += 2) {
      s.labels.emplace_back(v2.symbols(static_cast<int>(ts.labels_refs(i))),
                            v2.symbols(static_cast<int>(ts.labels_refs(i + 1))));
    }
    for (const v1::Sample& sample : ts.samples()) s.samples += SampleBytes(sample);
    s.histograms = ts.histograms_size();
    got.push_back(std::move(s));
  }
  if (want.size() != got.size()) std::abort();
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].labels != got[i].labels || want[i].samples != got[i].samples ||
        want[i].histograms != got[i].histograms) {
      std::abort();
    }
  }
  return 0;
}
