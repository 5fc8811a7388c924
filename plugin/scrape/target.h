#ifndef PLUGIN_SCRAPE_TARGET_H_
#define PLUGIN_SCRAPE_TARGET_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/config/scrape_config.h"
#include "plugin/discovery/target_group.h"
#include "plugin/model/compact_labels.h"
#include "plugin/model/labels.h"

namespace promscrape::scrape {

// Targets come from discovery (plugin/discovery) as groups.
using discovery::TargetGroup;

// Prometheus 3.x' per-target overrides of the job's native histogram
// switches (scrape/target.go). Under prometheus_compat "3" PopulateLabels
// sets each to the job's value ("true"/"false") where discovery did not,
// so relabeling can change them per target.
inline constexpr absl::string_view kScrapeNativeHistogramsLabel =
    "__scrape_native_histograms__";
inline constexpr absl::string_view kAlwaysScrapeClassicHistogramsLabel =
    "__always_scrape_classic_histograms__";
inline constexpr absl::string_view kConvertClassicHistogramsToNhcbLabel =
    "__convert_classic_histograms_to_nhcb__";

// Go's strconv.ParseBool: 1, t, T, TRUE, true, True and their false
// counterparts (0, f, F, FALSE, false, False). Error: `strconv.ParseBool:
// parsing "x": invalid syntax`.
absl::StatusOr<bool> ParseGoBool(absl::string_view value);

// One scrape target: its final labels (including the `__` labels that carry
// scheme, path, params, interval and timeout), the labels it was discovered
// with, and the config params its URL starts from. A target whose final
// labels are empty was dropped by relabeling and is kept only for display.
// Both label sets are held in compact form (one heap block each instead of
// a vector of string pairs: about 1.4 KB less per target, 14 MB at 10,000
// targets); the accessors decode a copy.
//
// Thread-compatible value type.
class Target {
 public:
  Target(model::Labels labels, model::Labels discovered_labels,
         std::map<std::string, std::vector<std::string>> params);

  // All final labels, `__` labels included.
  model::Labels labels() const { return labels_.ToLabels(); }
  model::Labels discovered_labels() const { return discovered_.ToLabels(); }
  bool dropped() const { return labels_.empty(); }
  // Same identity, newer discovery metadata.
  void set_discovered_labels(const model::Labels& discovered) {
    discovered_ = model::CompactLabels(discovered);
  }

  // The labels attached to the target's series: those not starting with
  // `__` (`job`, `instance`, user labels), sorted.
  model::Labels PublicLabels() const;

  // The scrape URL: scheme, address and path from the labels; the
  // config params with each `__param_<k>` label replacing the first value of
  // `k`; query keys sorted and escaped like Go's url.Values.Encode.
  std::string Url() const;

  // Identity: FNV-1a over the zero-padded decimal label hash and the
  // URL, as Prometheus computes it. Equal hash means the same target.
  uint64_t Hash() const;

  // Time from `now` until this target's first scrape: in
  // (0, interval], a stable phase `(hash ^ offset_seed) % interval` within
  // each interval-aligned period.
  absl::Duration Offset(absl::Duration interval, uint64_t offset_seed,
                        absl::Time now) const;

  // The interval and timeout from `__scrape_interval__` /
  // `__scrape_timeout__`; errors `error parsing interval label "x": ...`.
  absl::StatusOr<std::pair<absl::Duration, absl::Duration>>
  IntervalAndTimeout() const;

  // Prometheus' Target.boolLabel: the label `name` parsed as a Go bool;
  // `def` when it is absent, empty or not a bool.
  bool BoolLabel(absl::string_view name, bool def) const;

 private:
  model::CompactLabels labels_;
  model::CompactLabels discovered_;
  std::map<std::string, std::vector<std::string>> params_;
};

// Result of PopulateLabels: `labels` is empty when relabeling dropped the
// target; `discovered` holds the pre-relabel labels.
struct PopulatedLabels {
  model::Labels labels;
  model::Labels discovered;
};

// Prometheus `PopulateLabels` (2.42, or 3.x when `config.compat` is kV3,
// which adds no default port): adds `job`, `__scrape_interval__`,
// `__scrape_timeout__`, `__metrics_path__`, `__scheme__` (and under 3.x the
// three native histogram labels above) where unset and
// `__param_<k>` for every config param; applies `relabel_configs`; then
// checks the address (`no address`, `"a/b" is not a valid hostname`), adds
// the default port under 2.x (:80 for http, :443 for https; `invalid
// scheme: "ftp"` otherwise) when the address has none, validates the interval/timeout
// labels and (3.x) the native histogram labels (`error parsing scrape
// native histograms: strconv.ParseBool: parsing "x": invalid syntax`),
// deletes `__meta_*`, defaults `instance` to `__address__` and
// checks values are UTF-8. Errors are kInvalidArgument.
absl::StatusOr<PopulatedLabels> PopulateLabels(
    const model::Labels& target_labels, const config::ScrapeConfig& config);

// All targets of a group: `targets` has one entry per target that was kept
// or dropped (see Target::dropped); `failures` one error per target that
// failed, worded `instance 0 in group 0: no address`.
struct GroupTargets {
  std::vector<Target> targets;
  std::vector<absl::Status> failures;
};
GroupTargets TargetsFromGroup(const TargetGroup& group,
                              const config::ScrapeConfig& config);

// Prometheus' per-server offset seed: FNV-1a of hostname followed by the
// external labels' string form. HA replicas with distinct external labels
// thus scrape a target at different phases.
uint64_t OffsetSeed(absl::string_view hostname,
                    const model::Labels& external_labels);

// Go's net.SplitHostPort. Exposed for tests.
bool SplitHostPort(absl::string_view hostport, std::string* host,
                   std::string* port);

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_TARGET_H_
