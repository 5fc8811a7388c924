#include "plugin/scrape/scrape_metrics.h"

#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace promscrape::scrape {
namespace {

constexpr char kSyncLength[] = "prometheus_target_sync_length_seconds";
constexpr char kSyncLengthHelp[] =
    "Actual interval to sync the scrape pool.";
constexpr char kPoolTargets[] = "prometheus_target_scrape_pool_targets";
constexpr char kPoolTargetsHelp[] =
    "Current number of targets in this scrape pool.";
constexpr char kPoolSync[] = "prometheus_target_scrape_pool_sync_total";
constexpr char kPoolSyncHelp[] =
    "Total number of syncs that were executed on a scrape pool.";
constexpr char kSyncFailed[] = "prometheus_target_sync_failed_total";
constexpr char kSyncFailedHelp[] =
    "Total number of target sync failures.";

// `v` units of `unit_ns` as Go prints a fraction: trailing zeros dropped.
std::string Fraction(int64_t v, int64_t unit_ns) {
  std::string s = absl::StrCat(v / unit_ns);
  int64_t frac = v % unit_ns;
  if (frac == 0) return s;
  int digits = 0;
  for (int64_t u = unit_ns; u > 1; u /= 10) ++digits;
  std::string f = absl::StrFormat("%0*d", digits, frac);
  while (!f.empty() && f.back() == '0') f.pop_back();
  return absl::StrCat(s, ".", f);
}

}  // namespace

std::string GoDurationString(absl::Duration d) {
  int64_t ns = absl::ToInt64Nanoseconds(d);
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? -static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  const int64_t v = static_cast<int64_t>(u);
  if (u < 1000) return absl::StrCat(sign, u, "ns");
  if (u < 1000000) return absl::StrCat(sign, Fraction(v, 1000), "us");
  if (u < 1000000000) return absl::StrCat(sign, Fraction(v, 1000000), "ms");
  const int64_t hours = v / (3600 * int64_t{1000000000});
  const int64_t rest = v % (3600 * int64_t{1000000000});
  const int64_t minutes = rest / (60 * int64_t{1000000000});
  const int64_t secs_ns = rest % (60 * int64_t{1000000000});
  std::string out = sign;
  if (hours > 0) absl::StrAppend(&out, hours, "h");
  if (hours > 0 || minutes > 0) absl::StrAppend(&out, minutes, "m");
  absl::StrAppend(&out, Fraction(secs_ns, 1000000000), "s");
  return out;
}

ScrapeMetrics::ScrapeMetrics(metrics::Registry& registry)
    : pools_total(registry.Counter(
          "prometheus_target_scrape_pools_total",
          "Total number of scrape pool creation attempts.")),
      pools_failed_total(registry.Counter(
          "prometheus_target_scrape_pools_failed_total",
          "Total number of scrape pool creations that failed.")),
      pool_reloads_total(registry.Counter(
          "prometheus_target_scrape_pool_reloads_total",
          "Total number of scrape pool reloads.")),
      pool_reloads_failed_total(registry.Counter(
          "prometheus_target_scrape_pool_reloads_failed_total",
          "Total number of failed scrape pool reloads.")),
      pool_exceeded_target_limit_total(registry.Counter(
          "prometheus_target_scrape_pool_exceeded_target_limit_total",
          "Total number of times scrape pools hit the target limit, during "
          "sync or config reload.")),
      exceeded_body_size_limit_total(registry.Counter(
          "prometheus_target_scrapes_exceeded_body_size_limit_total",
          "Total number of scrapes that hit the body size limit")),
      cache_flush_forced_total(registry.Counter(
          "prometheus_target_scrapes_cache_flush_forced_total",
          "How many times a scrape cache was flushed due to getting big while "
          "scrapes are failing.")),
      exceeded_sample_limit_total(registry.Counter(
          "prometheus_target_scrapes_exceeded_sample_limit_total",
          "Total number of scrapes that hit the sample limit and were "
          "rejected.")),
      sample_duplicate_timestamp_total(registry.Counter(
          "prometheus_target_scrapes_sample_duplicate_timestamp_total",
          "Total number of samples rejected due to duplicate timestamps but "
          "different values.")),
      sample_out_of_bounds_total(registry.Counter(
          "prometheus_target_scrapes_sample_out_of_bounds_total",
          "Total number of samples rejected due to timestamp falling outside "
          "of the time bounds.")),
      sample_out_of_order_total(registry.Counter(
          "prometheus_target_scrapes_sample_out_of_order_total",
          "Total number of samples rejected due to not being out of the "
          "expected order.")),
      exceeded_native_histogram_bucket_limit_total(registry.Counter(
          "prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_"
          "total",
          "Total number of scrapes that hit the native histogram bucket limit "
          "and were rejected.")),
      pool_exceeded_label_limits_total(registry.Counter(
          "prometheus_target_scrape_pool_exceeded_label_limits_total",
          "Total number of times scrape pools hit the label limits, during "
          "sync or config reload.")),
      registry_(registry) {}

metrics::Summary& ScrapeMetrics::IntervalLength(absl::Duration interval) const {
  return registry_.Summary("prometheus_target_interval_length_seconds",
                           "Actual intervals between scrapes.",
                           {{"interval", GoDurationString(interval)}});
}

void ScrapeMetrics::RecordAppend(const AppendResult& result) const {
  if (result.sample_limit_exceeded) exceeded_sample_limit_total.Increment();
  if (result.bucket_limit_exceeded) {
    exceeded_native_histogram_bucket_limit_total.Increment();
  }
  if (result.label_limits_exceeded) pool_exceeded_label_limits_total.Increment();
  if (result.duplicates > 0) {
    sample_duplicate_timestamp_total.Add(static_cast<double>(result.duplicates));
  }
  if (result.out_of_bounds > 0) {
    sample_out_of_bounds_total.Add(static_cast<double>(result.out_of_bounds));
  }
  if (result.out_of_order > 0) {
    sample_out_of_order_total.Add(static_cast<double>(result.out_of_order));
  }
  if (result.cache_flush_forced) cache_flush_forced_total.Increment();
}

metrics::Metric& ScrapeMetrics::PoolTargets(const std::string& job) const {
  return registry_.Gauge(kPoolTargets, kPoolTargetsHelp, {{"scrape_job", job}});
}

metrics::Metric& ScrapeMetrics::PoolSyncTotal(const std::string& job) const {
  return registry_.Counter(kPoolSync, kPoolSyncHelp, {{"scrape_job", job}});
}

metrics::Summary& ScrapeMetrics::SyncLength(const std::string& job) const {
  return registry_.Summary(kSyncLength, kSyncLengthHelp, {{"scrape_job", job}});
}

metrics::Metric& ScrapeMetrics::SyncFailed(const std::string& job) const {
  return registry_.Counter(kSyncFailed, kSyncFailedHelp, {{"scrape_job", job}});
}

void ScrapeMetrics::RemoveJob(const std::string& job) const {
  for (const char* name : {kPoolTargets, kPoolSync, kSyncLength, kSyncFailed}) {
    registry_.Remove(name, {{"scrape_job", job}});
  }
}

}  // namespace promscrape::scrape
