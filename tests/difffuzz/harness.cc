#include "tests/difffuzz/harness.h"

#include <signal.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "plugin/common/mutex.h"
#include "plugin/model/labels.h"
#include "plugin/scrape/scrape_append.h"
#include "tests/testutil/recording_sink.h"
#include "tests/testutil/test_files.h"

namespace promscrape::difffuzz {
namespace {

using ::promscrape::testing::CanonicalValue;
using ::promscrape::testing::SeriesMap;

constexpr char kPrometheus[] = "/usr/bin/prometheus";
// Prometheus' head accepts samples no older than its newest minus half a
// block (1 h). The generator keeps ordinary timestamps within 45 min of now
// and ancient ones hours back, so any bound in between tells them apart.
constexpr int64_t kOutOfBoundsMs = 50 * 60 * 1000;

bool IsReportSeries(const LabelSet& labels) {
  auto it = labels.find("__name__");
  if (it == labels.end()) return false;
  const std::string& n = it->second;
  return n == "up" || n == "scrape_duration_seconds" ||
         n == "scrape_samples_scraped" ||
         n == "scrape_samples_post_metric_relabeling" ||
         n == "scrape_series_added";
}

std::string SampleText(bool scrape_time, int64_t t, const std::string& v) {
  return absl::StrCat(scrape_time ? std::string("S") : absl::StrCat(t), "=", v);
}

// Waits `timeout` for `done`, polling every 200 ms.
template <typename F>
bool PollUntil(absl::Duration timeout, F done) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return true;
}

std::string JsonString(const std::string& s) {
  return absl::StrCat("\"", absl::CEscape(s), "\"");
}

// Payloads served by path: the first GET gets the body, later ones 404 (one
// scrape per payload, so every sample maps to one scrape).
class PayloadStore {
 public:
  void Put(const std::string& path, const Payload& p) {
    MutexLock lock(&mu_);
    payloads_[path] = p;
  }
  void Clear() {
    MutexLock lock(&mu_);
    payloads_.clear();
  }
  testing::TestHttpResponse Serve(const testing::TestHttpRequest& req) {
    testing::TestHttpResponse r;
    MutexLock lock(&mu_);
    auto it = payloads_.find(req.target);
    if (it == payloads_.end() || it->second.content_type == "\x01served") {
      r.status = 404;
      r.reason = "Not Found";
      return r;
    }
    if (!it->second.content_type.empty()) {
      r.headers = {{"Content-Type", it->second.content_type}};
    }
    r.body = std::move(it->second.body);
    it->second.content_type = "\x01served";
    return r;
  }

 private:
  Mutex mu_;
  std::map<std::string, Payload> payloads_ ABSL_GUARDED_BY(mu_);
};

PayloadStore& Store() {
  static auto* store = new PayloadStore;
  return *store;
}

}  // namespace

std::string Describe(const Payload& p) {
  return absl::StrCat(
      p.format == textparse::Format::kProtobuf      ? "protobuf"
      : p.format == textparse::Format::kOpenMetrics ? "openmetrics"
                                                    : "text",
      " content_type=\"", p.content_type, "\" body=\"", absl::CEscape(p.body),
      "\" (", p.origin, ")");
}

Outcome ScrapeWithPromscrape(const Payload& payload, int64_t scrape_ms,
                             const LabelSet& target,
                             config::PrometheusCompat compat) {
  scrape::AppendOptions options;
  std::vector<model::Label> target_labels;
  for (const auto& [n, v] : target) target_labels.push_back({n, v});
  options.target_labels = model::Labels::FromUnsorted(target_labels);
  options.storage_min_valid_ms = scrape_ms - kOutOfBoundsMs;
  if (compat == config::PrometheusCompat::kV3) {
    options.name_validation = model::NameValidation::kUtf8;
    options.utf8_names = true;
    options.prometheus3_rules = true;
    options.strict_content_type = true;
  }
  scrape::ScrapeAppend append(options);
  testing::RecordingSink sink;
  std::unique_ptr<model::Appender> app = sink.NewAppender();
  scrape::AppendResult result =
      append.Append(payload.body, payload.content_type, scrape_ms, *app);
  Outcome out;
  out.up = result.error.ok();
  if (!out.up) {
    app->Rollback();
    out.error = std::string(result.error.message());
    return out;
  }
  (void)app->Commit();
  // The oracle runs without --enable-feature=native-histograms: 2.42's
  // head refuses the first native histogram (ErrNativeHistogramsDisabled)
  // and the scrape fails. Storage, not parser.
  for (const testing::RecordedSample& s : sink.Samples()) {
    if (s.histogram.has_value() && !s.is_stale() &&
        compat == config::PrometheusCompat::kV2) {
      out.up = false;
      out.error = "native histograms are disabled (Prometheus' TSDB)";
      out.storage_dropped = 1;
      return out;
    }
  }
  out.scraped = result.total;
  // Prometheus' head: per series, a sample is kept when newer than the
  // series' previous one and within the appendable window.
  std::map<LabelSet, int64_t> last;
  for (const testing::RecordedSample& s : sink.Samples()) {
    if (s.is_stale() || s.histogram.has_value()) continue;
    LabelSet labels;
    for (const model::Label& l : s.series) {
      labels[std::string(l.name)] = std::string(l.value);
    }
    auto it = last.find(labels);
    if ((it != last.end() && s.timestamp_ms <= it->second) ||
        s.timestamp_ms < scrape_ms - kOutOfBoundsMs) {
      ++out.storage_dropped;
      continue;
    }
    last[labels] = s.timestamp_ms;
    out.samples[labels].insert(SampleText(s.timestamp_ms == scrape_ms,
                                          s.timestamp_ms,
                                          CanonicalValue(s.value)));
  }
  return out;
}

// Removes from `out` the samples whose explicit timestamp lies near the
// head's out-of-bounds edge (about an hour back, where the two heads'
// windows differ by how far their newest sample is ahead), and series left
// empty. Ordinary timestamps stay within 45 min of the scrape; a number
// mutation (`1.79659e+09`) can round one into the band. Returns how many
// were removed: storage, not parser.
int64_t DropNearBoundSamples(int64_t scrape_ms, Outcome* out) {
  const int64_t newest = scrape_ms - 46 * 60 * 1000;
  const int64_t oldest = scrape_ms - 75 * 60 * 1000;
  int64_t dropped = 0;
  for (auto it = out->samples.begin(); it != out->samples.end();) {
    std::set<std::string>& samples = it->second;
    for (auto s = samples.begin(); s != samples.end();) {
      int64_t t = 0;
      if (s->rfind("S=", 0) != 0 &&
          absl::SimpleAtoi(s->substr(0, s->find('=')), &t) && t >= oldest &&
          t <= newest) {
        s = samples.erase(s);
        ++dropped;
      } else {
        ++s;
      }
    }
    it = samples.empty() ? out->samples.erase(it) : std::next(it);
  }
  return dropped;
}

std::string Compare(const Outcome& prom, const Outcome& ours) {
  if (prom.up != ours.up) {
    return absl::StrCat("up: prometheus=", prom.up, " promscrape=", ours.up,
                        "\n  promscrape error: ", ours.error);
  }
  if (!prom.up) return "";
  std::string diff;
  for (const auto& [labels, samples] : prom.samples) {
    auto it = ours.samples.find(labels);
    if (it == ours.samples.end()) {
      absl::StrAppend(&diff, "\n  only prometheus: ",
                      testing::FormatLabels(labels), " ",
                      absl::StrJoin(samples, ","));
    } else if (it->second != samples) {
      absl::StrAppend(&diff, "\n  values differ: ",
                      testing::FormatLabels(labels), " prometheus ",
                      absl::StrJoin(samples, ","), " promscrape ",
                      absl::StrJoin(it->second, ","));
    }
  }
  for (const auto& [labels, samples] : ours.samples) {
    if (!prom.samples.contains(labels)) {
      absl::StrAppend(&diff, "\n  only promscrape: ",
                      testing::FormatLabels(labels), " ",
                      absl::StrJoin(samples, ","));
    }
  }
  if (!diff.empty()) return absl::StrCat("series", diff);
  if (prom.scraped != ours.scraped) {
    return absl::StrCat("scraped: prometheus=", prom.scraped,
                        " promscrape=", ours.scraped);
  }
  return "";
}

absl::StatusOr<std::unique_ptr<PrometheusOracle>> PrometheusOracle::Start(
    const std::string& dir) {
  auto server = testing::TestHttpServer::Start(
      [](const testing::TestHttpRequest& req) { return Store().Serve(req); });
  if (!server.ok()) return server.status();
  const std::string targets = dir + "/targets.json";
  {
    FILE* f = std::fopen(targets.c_str(), "w");
    if (f == nullptr) return absl::InternalError("cannot write " + targets);
    std::fputs("[]", f);
    std::fclose(f);
  }
  const std::string yml = dir + "/prometheus.yml";
  {
    FILE* f = std::fopen(yml.c_str(), "w");
    if (f == nullptr) return absl::InternalError("cannot write " + yml);
    std::fputs(absl::StrCat("global:\n  scrape_interval: 2s\n"
                            "  scrape_timeout: 1900ms\n"
                            "scrape_configs:\n  - job_name: fuzz\n"
                            "    file_sd_configs:\n      - files: [\"",
                            targets, "\"]\n        refresh_interval: 1s\n")
                   .c_str(),
               f);
    std::fclose(f);
  }
  const int port = testing::PickUnusedPort();
  auto prometheus = testing::Subprocess::Start(
      {kPrometheus, "--config.file=" + yml,
       "--storage.tsdb.path=" + dir + "/prometheus-data",
       absl::StrCat("--web.listen-address=127.0.0.1:", port),
       "--log.level=error"});
  if (!prometheus.ok()) return prometheus.status();
  std::unique_ptr<PrometheusOracle> oracle(new PrometheusOracle(
      dir, *std::move(server), *std::move(prometheus), port));
  if (!PollUntil(absl::Seconds(30), [&] { return oracle->api_.Ready(); })) {
    return absl::UnavailableError(
        absl::StrCat("prometheus not ready: ", oracle->Log()));
  }
  // The head's time range starts at its first sample: make that one now, so
  // ancient timestamps of the payloads are out of bounds as in any
  // long-running Prometheus.
  Payload warm;
  warm.body = "warm 1\n";
  warm.content_type = ContentTypeOf(textparse::Format::kPromText);
  auto r = oracle->Scrape({warm});
  if (!r.ok()) return r.status();
  return oracle;
}

PrometheusOracle::PrometheusOracle(
    std::string dir, std::unique_ptr<testing::TestHttpServer> server,
    std::unique_ptr<testing::Subprocess> prometheus, int port)
    : dir_(std::move(dir)),
      server_(std::move(server)),
      prometheus_(std::move(prometheus)),
      api_(port) {}

PrometheusOracle::~PrometheusOracle() {
  prometheus_->Signal(SIGTERM);
  prometheus_->Wait(absl::Seconds(30));
}

absl::StatusOr<std::vector<PrometheusOracle::Result>> PrometheusOracle::Scrape(
    const std::vector<Payload>& payloads) {
  const std::string batch = absl::StrCat(++batch_);
  const std::string instance = absl::StrCat("127.0.0.1:", server_->port());
  Store().Clear();
  std::vector<std::string> groups;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const std::string path = absl::StrCat("/p/", batch, "/", i);
    Store().Put(path, payloads[i]);
    groups.push_back(absl::StrCat(
        "{\"targets\":[", JsonString(instance), "],\"labels\":{",
        "\"__metrics_path__\":", JsonString(path), ",\"batch\":",
        JsonString(batch), ",\"payload\":", JsonString(absl::StrCat(i)),
        "}}"));
  }
  const std::string targets = dir_ + "/targets.json";
  const std::string tmp = targets + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return absl::InternalError("cannot write " + tmp);
  std::fputs(absl::StrCat("[", absl::StrJoin(groups, ",\n"), "]").c_str(), f);
  std::fclose(f);
  std::rename(tmp.c_str(), targets.c_str());

  const std::string up_selector =
      absl::StrCat("up{job=\"fuzz\",batch=\"", batch, "\"}");
  absl::Status last;
  const bool done = PollUntil(absl::Seconds(60), [&] {
    absl::StatusOr<SeriesMap> up =
        api_.Range(up_selector, testing::NowMs(), "10m");
    if (!up.ok()) {
      last = up.status();
      return false;
    }
    return up->size() == payloads.size();
  });
  if (!done) {
    return absl::DeadlineExceededError(
        absl::StrCat("batch ", batch, ": not every payload scraped in 60 s (",
                     last.ToString(), ")"));
  }
  // Stored samples may lie up to 10 min ahead (and hours behind).
  absl::StatusOr<SeriesMap> all =
      api_.Range(absl::StrCat("{job=\"fuzz\",batch=\"", batch, "\"}"),
                 testing::NowMs() + 20 * 60 * 1000, "4h");
  if (!all.ok()) return all.status();

  std::vector<Result> results(payloads.size());
  std::vector<bool> have_up(payloads.size(), false);
  for (size_t i = 0; i < payloads.size(); ++i) {
    results[i].target = {{"batch", batch},
                         {"instance", instance},
                         {"job", "fuzz"},
                         {"payload", absl::StrCat(i)}};
  }
  auto index_of = [&](const LabelSet& labels) -> int {
    auto it = labels.find("payload");
    size_t i;
    if (it == labels.end() || !absl::SimpleAtoi(it->second, &i) ||
        i >= payloads.size()) {
      return -1;
    }
    return static_cast<int>(i);
  };
  // First the report series: the first scrape's time and verdict.
  for (const auto& [labels, samples] : *all) {
    const int i = index_of(labels);
    if (i < 0 || samples.empty() || labels.size() != 5) continue;
    const std::string& name = labels.at("__name__");
    if (name == "up") {
      results[i].scrape_ms = samples[0].t_ms;
      results[i].outcome.up = samples[0].value == "1";
      have_up[i] = true;
    }
  }
  for (const auto& [labels, samples] : *all) {
    const int i = index_of(labels);
    if (i < 0 || !have_up[i]) continue;
    Result& r = results[i];
    if (labels.size() == 5 && IsReportSeries(labels)) {
      if (labels.at("__name__") == "scrape_samples_scraped") {
        for (const auto& s : samples) {
          if (s.t_ms == r.scrape_ms) {
            absl::SimpleAtoi(s.value, &r.outcome.scraped);
          }
        }
      }
      continue;
    }
    if (!r.outcome.up) continue;  // Stale markers only (never returned).
    for (const auto& s : samples) {
      r.outcome.samples[labels].insert(
          SampleText(s.t_ms == r.scrape_ms, s.t_ms, s.value));
    }
  }
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (!have_up[i]) {
      return absl::InternalError(absl::StrCat("batch ", batch, " payload ", i,
                                              ": no up sample"));
    }
    if (!results[i].outcome.up) results[i].outcome.scraped = -1;
  }
  return results;
}

namespace {

// The first line of a Compare() diff with the numbers that vary between
// payloads cut off: the class a minimisation must preserve.
std::string ClassOf(const std::string& diff) {
  std::string first = diff.substr(0, diff.find('\n'));
  if (absl::StartsWith(first, "scraped")) return "scraped";
  return first;
}

std::vector<Payload> Candidates(const Payload& p) {
  std::vector<Payload> out;
  auto with_body = [&](std::string body) {
    Payload c = p;
    c.body = std::move(body);
    out.push_back(std::move(c));
  };
  if (p.format == textparse::Format::kProtobuf) {
    // Drop one delimited message at a time.
    std::vector<std::pair<size_t, size_t>> frames;
    size_t pos = 0;
    while (pos < p.body.size()) {
      uint64_t len = 0;
      int shift = 0;
      size_t q = pos;
      while (q < p.body.size() && shift < 64) {
        const uint8_t b = static_cast<uint8_t>(p.body[q++]);
        len |= static_cast<uint64_t>(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
      }
      if (q + len > p.body.size() || q + len <= pos) break;
      frames.push_back({pos, q + len - pos});
      pos = q + len;
    }
    for (const auto& [at, n] : frames) {
      std::string b = p.body;
      b.erase(at, n);
      with_body(std::move(b));
    }
    return out;
  }
  std::vector<std::string> lines = absl::StrSplit(p.body, '\n');
  // Chunks of lines, halves first, down to single lines.
  for (size_t chunk = lines.size() / 2; chunk >= 1; chunk /= 2) {
    for (size_t at = 0; at + chunk <= lines.size(); at += chunk) {
      std::vector<std::string> l = lines;
      l.erase(l.begin() + at, l.begin() + at + chunk);
      with_body(absl::StrJoin(l, "\n"));
    }
  }
  if (p.body.size() <= 200) {
    for (size_t i = 0; i < p.body.size(); ++i) {
      std::string b = p.body;
      b.erase(i, 1);
      with_body(std::move(b));
    }
  }
  return out;
}

absl::StatusOr<Payload> Minimise(PrometheusOracle& oracle, const Payload& p,
                                 const std::string& cls,
                                 config::PrometheusCompat compat) {
  Payload best = p;
  for (int round = 0; round < 40; ++round) {
    std::vector<Payload> candidates = Candidates(best);
    if (candidates.empty()) break;
    auto results = oracle.Scrape(candidates);
    if (!results.ok()) return results.status();
    bool improved = false;
    for (size_t i = 0; i < candidates.size(); ++i) {
      const auto& r = (*results)[i];
      Outcome ours = ScrapeWithPromscrape(candidates[i], r.scrape_ms,
                                          r.target, compat);
      const std::string diff = Compare(r.outcome, ours);
      // The smallest candidate that still disagrees alike.
      if (!diff.empty() && ClassOf(diff) == cls &&
          candidates[i].body.size() < best.body.size()) {
        best = candidates[i];
        improved = true;
      }
    }
    if (!improved) break;
  }
  return best;
}

}  // namespace

absl::StatusOr<RunReport> RunDifferential(PrometheusOracle& oracle,
                              const RunOptions& options) {
  RunReport report;
  PayloadGenerator gen(options.seed, testing::NowMs());
  gen.AddSeeds(LoadSeedCorpus(options.seed_files));
  int done = 0;
  while (done < options.payloads) {
    gen.set_now_ms(testing::NowMs());
    const int n = std::min(options.batch_size, options.payloads - done);
    std::vector<Payload> batch;
    for (int i = 0; i < n; ++i) batch.push_back(gen.Next());
    auto results = oracle.Scrape(batch);
    if (!results.ok()) return results.status();
    // A loaded machine can time a scrape out (up 0 with nothing wrong with
    // the payload): scrape those once more, alone.
    std::vector<int> retry;
    for (int i = 0; i < n; ++i) {
      const auto& r = (*results)[i];
      if (!r.outcome.up &&
          ScrapeWithPromscrape(batch[i], r.scrape_ms, r.target, options.compat)
              .up) {
        retry.push_back(i);
      }
    }
    if (!retry.empty()) {
      std::vector<Payload> again;
      for (int i : retry) again.push_back(batch[i]);
      auto second = oracle.Scrape(again);
      if (!second.ok()) return second.status();
      for (size_t k = 0; k < retry.size(); ++k) {
        if ((*second)[k].outcome.up) ++report.retried;
        (*results)[retry[k]] = (*second)[k];
      }
    }
    for (int i = 0; i < n; ++i) {
      const auto& r = (*results)[i];
      Outcome ours = ScrapeWithPromscrape(batch[i], r.scrape_ms, r.target,
                                          options.compat);
      ++report.payloads;
      report.prometheus_up += r.outcome.up;
      Outcome prom = r.outcome;
      const int64_t near_bound = DropNearBoundSamples(r.scrape_ms, &prom) +
                                 DropNearBoundSamples(r.scrape_ms, &ours);
      const std::string diff = Compare(prom, ours);
      if (diff.empty()) {
        ++report.agreed;
        if (ours.storage_dropped > 0 || near_bound > 0) {
          ++report.storage_explained;
        }
        continue;
      }
      const std::string cls = ClassOf(diff);
      ++report.classes[cls];
      Disagreement d;
      d.payload = batch[i];
      d.minimised = batch[i];
      d.diff = diff;
      std::cerr << "DISAGREEMENT " << cls << "\n  " << Describe(batch[i])
                << "\n" << diff << "\n";
      if (options.minimise && report.disagreements.size() < 30) {
        auto m = Minimise(oracle, batch[i], cls, options.compat);
        if (m.ok()) {
          d.minimised = *m;
          std::cerr << "  MINIMISED: " << Describe(*m) << "\n";
        }
      }
      report.disagreements.push_back(std::move(d));
    }
    done += n;
    std::cerr << "difffuzz: " << done << "/" << options.payloads
              << " payloads, " << report.disagreements.size()
              << " disagreements, prometheus up " << report.prometheus_up
              << ", storage-explained " << report.storage_explained
              << ", retried " << report.retried << "\n";
  }
  return report;
}

}  // namespace promscrape::difffuzz
