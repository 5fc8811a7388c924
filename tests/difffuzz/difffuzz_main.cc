// The long mode of the differential harness (tests/difffuzz/README.md):
//
//   bazel run -c opt //tests/difffuzz:difffuzz -- --seed=7 --payloads=100000
//
// Flags: --seed=N (1), --payloads=N (1000), --batch=N (2500),
// --compat=2|3 (2), --no-minimise, --dir=PATH (a fresh temporary directory),
// --seeds=FILE,FILE (seed corpus), --probe=FILE (instead of generating:
// compare the payloads of FILE, one a line: `text|om|pb<TAB>C-escaped body`). Prints every disagreement with its
// minimised payload, and a summary; exits 1 when there was any.

#include <cstdlib>
#include <fstream>
#include <utility>
#include <vector>
#include <iostream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tests/difffuzz/harness.h"

namespace {

int Probe(promscrape::difffuzz::PrometheusOracle& oracle,
          const std::string& path, promscrape::config::PrometheusCompat compat) {
  using namespace promscrape::difffuzz;  // NOLINT(build/namespaces)
  std::ifstream in(path);
  std::vector<Payload> payloads;
  std::string line;
  while (std::getline(in, line)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    Payload p;
    p.format = kv.first == "om"   ? promscrape::textparse::Format::kOpenMetrics
               : kv.first == "pb" ? promscrape::textparse::Format::kProtobuf
                                  : promscrape::textparse::Format::kPromText;
    p.content_type = ContentTypeOf(p.format);
    if (!absl::CUnescape(kv.second, &p.body)) continue;
    p.origin = "probe";
    payloads.push_back(std::move(p));
  }
  auto results = oracle.Scrape(payloads);
  if (!results.ok()) {
    std::cerr << results.status() << "\n";
    return 2;
  }
  int differ = 0;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const auto& r = (*results)[i];
    Outcome ours = ScrapeWithPromscrape(payloads[i], r.scrape_ms, r.target, compat);
    const std::string diff = Compare(r.outcome, ours);
    differ += !diff.empty();
    std::cout << (diff.empty() ? "AGREE" : "DIFFER") << " prometheus_up="
              << r.outcome.up << " " << Describe(payloads[i]) << "\n";
    if (!diff.empty()) std::cout << "  " << diff << "\n";
    for (const auto& [labels, samples] : r.outcome.samples) {
      std::cout << "  prometheus stored " << promscrape::testing::FormatLabels(labels)
                << " " << absl::StrJoin(samples, ",") << "\n";
    }
    if (!ours.error.empty()) std::cout << "  promscrape: " << ours.error << "\n";
  }
  return differ == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace promscrape::difffuzz;  // NOLINT(build/namespaces)
  RunOptions options;
  options.payloads = 1000;
  options.batch_size = 2500;
  std::string dir;
  std::string probe;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      return a.substr(std::string(flag).size());
    };
    if (absl::StartsWith(a, "--seed=")) {
      (void)absl::SimpleAtoi(value("--seed="), &options.seed);
    } else if (absl::StartsWith(a, "--payloads=")) {
      (void)absl::SimpleAtoi(value("--payloads="), &options.payloads);
    } else if (absl::StartsWith(a, "--batch=")) {
      (void)absl::SimpleAtoi(value("--batch="), &options.batch_size);
    } else if (a == "--compat=3") {
      options.compat = promscrape::config::PrometheusCompat::kV3;
    } else if (a == "--no-minimise") {
      options.minimise = false;
    } else if (absl::StartsWith(a, "--dir=")) {
      dir = value("--dir=");
    } else if (absl::StartsWith(a, "--probe=")) {
      probe = value("--probe=");
    } else if (absl::StartsWith(a, "--seeds=")) {
      options.seed_files = absl::StrSplit(value("--seeds="), ',');
    } else if (a != "--compat=2") {
      std::cerr << "unknown flag " << a << "\n";
      return 2;
    }
  }
  if (dir.empty()) {
    char tmpl[] = "/tmp/difffuzz.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 2;
    dir = tmpl;
  }
  auto oracle = PrometheusOracle::Start(dir);
  if (!oracle.ok()) {
    std::cerr << oracle.status() << "\n";
    return 2;
  }
  if (!probe.empty()) return Probe(**oracle, probe, options.compat);
  auto report = RunDifferential(**oracle, options);
  if (!report.ok()) {
    std::cerr << report.status() << "\n" << (*oracle)->Log() << "\n";
    return 2;
  }
  std::cout << "payloads " << report->payloads << ", agreed "
            << report->agreed << ", prometheus up " << report->prometheus_up
            << ", storage-explained " << report->storage_explained
            << ", retried " << report->retried
            << ", disagreements " << report->disagreements.size() << "\n";
  for (const auto& [cls, n] : report->classes) {
    std::cout << "  class " << cls << ": " << n << "\n";
  }
  for (const Disagreement& d : report->disagreements) {
    std::cout << "DISAGREEMENT " << d.diff << "\n  payload: "
              << Describe(d.payload) << "\n  minimised: "
              << Describe(d.minimised) << "\n";
  }
  return report->disagreements.empty() ? 0 : 1;
}
