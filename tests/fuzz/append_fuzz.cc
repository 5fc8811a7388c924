// libFuzzer target for the append step (ScrapeAppend): hostile bodies in
// every exposition format, over three successive scrapes of one target with
// options the input picks, must end in a clean error or success, never a
// crash; and every series handed to the sink must be a valid label set
// (names strictly increasing, a __name__, no empty name or value).
//
// Input: byte 0 = option flags, byte 1 = content type, then up to three
// bodies separated by the two bytes 0x01 0x02.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/model/compact_labels.h"
#include "plugin/model/labels.h"
#include "plugin/model/sample_sink.h"
#include "plugin/scrape/scrape_append.h"

namespace promscrape::scrape {
namespace {

void CheckSeries(const model::SeriesLabels& series) {
  std::string_view previous;
  bool first = true;
  bool has_name = false;
  for (const model::LabelView l : series) {
    std::string_view name(l.name.data(), l.name.size());
    if (name.empty() || l.value.empty()) std::abort();
    if (!first && !(previous < name)) std::abort();  // sorted, unique
    if (name == "__name__") has_name = true;
    previous = name;
    first = false;
  }
  if (!has_name) std::abort();
}

class CheckingAppender final : public model::Appender {
 public:
  model::AppendStatus Append(const model::SeriesLabels& series, int64_t,
                      double) override {
    CheckSeries(series);
    return model::AppendStatus::kOk;
  }
  model::AppendStatus AppendHistogram(const model::SeriesLabels& series, int64_t,
                               const model::Histogram&) override {
    CheckSeries(series);
    return model::AppendStatus::kOk;
  }
  absl::Status Commit() override { return absl::OkStatus(); }
  void Rollback() override {}
};

constexpr std::string_view kContentTypes[] = {
    "text/plain; version=0.0.4",
    "application/openmetrics-text; version=1.0.0; charset=utf-8",
    "application/vnd.google.protobuf; "
    "proto=io.prometheus.client.MetricFamily; encoding=delimited",
    "",
};

}  // namespace
}  // namespace promscrape::scrape

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace promscrape;         // NOLINT(build/namespaces)
  using namespace promscrape::scrape;  // NOLINT(build/namespaces)
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  const std::string_view content_type =
      kContentTypes[data[1] % std::size(kContentTypes)];
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<std::string_view> bodies;
  while (bodies.size() < 2) {
    size_t cut = rest.find("\x01\x02");
    if (cut == std::string_view::npos) break;
    bodies.push_back(rest.substr(0, cut));
    rest.remove_prefix(cut + 2);
  }
  bodies.push_back(rest);

  AppendOptions options;
  // A target label that scraped series may clash with (exported_ rule).
  options.target_labels = model::Labels::Of(
      {{"instance", "a:80"}, {"job", "j"}, {"le", "t"}});
  options.honor_labels = (flags & 1) != 0;
  options.honor_timestamps = (flags & 2) != 0;
  options.track_timestamps_staleness = (flags & 4) != 0;
  options.sample_limit = (flags & 8) != 0 ? 5 : 0;
  options.label_limit = (flags & 16) != 0 ? 4 : 0;
  options.label_value_length_limit = (flags & 32) != 0 ? 8 : 0;
  options.scrape_classic_histograms = (flags & 64) != 0;
  options.native_histogram_bucket_limit = (flags & 128) != 0 ? 3 : 0;
  options.native_histogram_min_bucket_factor = (flags & 128) != 0 ? 1.5 : 0;

  ScrapeAppend append(options);
  CheckingAppender app;
  int64_t ts = 1'700'000'000'000;
  for (std::string_view body : bodies) {
    AppendResult result = append.Append(body, content_type, ts, app);
    if (!result.error.ok()) {
      app.Rollback();
      append.Append("", "", ts, app);
    }
    append.AppendReport(ts, absl::Milliseconds(3), result, result.error.ok(),
                        app);
    ts += 10'000;
  }
  append.AppendStaleMarkersOnStop(ts, app);
  append.Metadata();
  return 0;
}
