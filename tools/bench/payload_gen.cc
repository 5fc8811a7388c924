#include "tools/bench/payload_gen.h"

#include "absl/strings/str_cat.h"
#include "proto/io/prometheus/client/metrics.pb.h"

namespace promscrape::bench {
namespace {

namespace pb = ::io::prometheus::client;

constexpr const char* kModes[] = {"idle", "iowait", "irq", "nice",
                                  "softirq", "steal", "system", "user"};
constexpr double kBounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                              0.5,   1,    2.5,   5,    10};

// Family i's kind: mostly counters and gauges, like node_exporter.
int Kind(int i) { return i % 10 == 7 ? 2 : i % 10 == 9 ? 3 : i % 2; }

std::string Text(int families, bool om) {
  std::string out;
  for (int i = 0; i < families; ++i) {
    std::string name = absl::StrCat("node_synthetic_metric_", i);
    int kind = Kind(i);
    const char* type = kind == 0   ? "counter"
                       : kind == 1 ? "gauge"
                       : kind == 2 ? "histogram"
                                   : "summary";
    absl::StrAppend(&out, "# HELP ", name, " Synthetic metric number ", i,
                    " for parser benchmarks.\n# TYPE ", name, " ", type,
                    "\n");
    std::string sample = om && kind == 0 ? name + "_total" : name;
    if (kind <= 1) {
      for (int cpu = 0; cpu < 2; ++cpu) {
        for (const char* mode : kModes) {
          absl::StrAppend(&out, sample, "{cpu=\"", cpu, "\",mode=\"", mode,
                          "\"} ", 1234.56 * (i + 1) + cpu, "\n");
        }
      }
    } else if (kind == 2) {
      uint64_t cum = 0;
      for (double b : kBounds) {
        cum += 3;
        absl::StrAppend(&out, name, "_bucket{handler=\"/api/v1/query\",le=\"",
                        b, "\"} ", cum, "\n");
      }
      absl::StrAppend(&out, name,
                      "_bucket{handler=\"/api/v1/query\",le=\"+Inf\"} ",
                      cum + 1, "\n", name,
                      "_sum{handler=\"/api/v1/query\"} 17.25\n", name,
                      "_count{handler=\"/api/v1/query\"} ", cum + 1, "\n");
    } else {
      for (const char* q : {"0", "0.25", "0.5", "0.75", "1"}) {
        absl::StrAppend(&out, name, "{quantile=\"", q, "\"} 4.9351e-05\n");
      }
      absl::StrAppend(&out, name, "_sum 0.0215\n", name, "_count 312\n");
    }
  }
  if (om) out += "# EOF\n";
  return out;
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

std::string GeneratePromText(int families) { return Text(families, false); }
std::string GenerateOpenMetrics(int families) { return Text(families, true); }

std::string GenerateProtobuf(int families) {
  std::string out;
  for (int i = 0; i < families; ++i) {
    pb::MetricFamily mf;
    mf.set_name(absl::StrCat("node_synthetic_metric_", i));
    mf.set_help(absl::StrCat("Synthetic metric number ", i,
                             " for parser benchmarks."));
    int kind = Kind(i);
    if (kind <= 1) {
      mf.set_type(kind == 0 ? pb::COUNTER : pb::GAUGE);
      for (int cpu = 0; cpu < 2; ++cpu) {
        for (const char* mode : kModes) {
          pb::Metric* m = mf.add_metric();
          pb::LabelPair* l = m->add_label();
          l->set_name("cpu");
          l->set_value(absl::StrCat(cpu));
          l = m->add_label();
          l->set_name("mode");
          l->set_value(mode);
          double v = 1234.56 * (i + 1) + cpu;
          if (kind == 0) {
            m->mutable_counter()->set_value(v);
          } else {
            m->mutable_gauge()->set_value(v);
          }
        }
      }
    } else if (kind == 2) {
      mf.set_type(pb::HISTOGRAM);
      pb::Metric* m = mf.add_metric();
      pb::LabelPair* l = m->add_label();
      l->set_name("handler");
      l->set_value("/api/v1/query");
      pb::Histogram* h = m->mutable_histogram();
      uint64_t cum = 0;
      for (double b : kBounds) {
        cum += 3;
        pb::Bucket* bk = h->add_bucket();
        bk->set_upper_bound(b);
        bk->set_cumulative_count(cum);
      }
      h->set_sample_count(cum + 1);
      h->set_sample_sum(17.25);
    } else {
      mf.set_type(pb::SUMMARY);
      pb::Summary* s = mf.add_metric()->mutable_summary();
      for (double q : {0.0, 0.25, 0.5, 0.75, 1.0}) {
        pb::Quantile* qq = s->add_quantile();
        qq->set_quantile(q);
        qq->set_value(4.9351e-05);
      }
      s->set_sample_sum(0.0215);
      s->set_sample_count(312);
    }
    std::string bytes = mf.SerializeAsString();
    AppendVarint(bytes.size(), &out);
    out += bytes;
  }
  return out;
}

}  // namespace promscrape::bench
