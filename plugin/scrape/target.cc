#include "plugin/scrape/target.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/common/utf8.h"
#include "plugin/config/duration.h"
#include "plugin/model/builder.h"
#include "plugin/model/hash.h"
#include "plugin/model/names.h"
#include "plugin/relabel/relabel.h"

namespace promscrape::scrape {
namespace {

enum class EscapeMode { kHost, kPath, kQueryComponent };

bool ShouldEscape(unsigned char c, EscapeMode mode) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9')) {
    return false;
  }
  if (mode == EscapeMode::kHost) {
    switch (c) {
      case '!': case '$': case '&': case '\'': case '(': case ')': case '*':
      case '+': case ',': case ';': case '=': case ':': case '[': case ']':
      case '<': case '>': case '"':
        return false;
    }
  }
  switch (c) {
    case '-': case '_': case '.': case '~':
      return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';':
    case '=': case '?': case '@':
      if (mode == EscapeMode::kPath) return c == '?';
      return true;  // Query components escape all reserved characters.
  }
  return true;
}

// Go's url.escape for the modes a target URL uses.
std::string Escape(absl::string_view s, EscapeMode mode) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == ' ' && mode == EscapeMode::kQueryComponent) {
      out.push_back('+');
    } else if (ShouldEscape(c, mode)) {
      absl::StrAppendFormat(&out, "%%%02X", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

absl::Status Err(absl::string_view msg) {
  return absl::InvalidArgumentError(msg);
}

}  // namespace

bool SplitHostPort(absl::string_view hp, std::string* host,
                   std::string* port) {
  size_t i = hp.rfind(':');
  if (i == absl::string_view::npos) return false;
  size_t j = 0, k = 0;
  absl::string_view h;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == absl::string_view::npos) return false;
    if (end + 1 == hp.size()) return false;
    if (end + 1 != i) return false;
    h = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    h = hp.substr(0, i);
    if (absl::StrContains(h, ':')) return false;
  }
  if (absl::StrContains(hp.substr(j), '[')) return false;
  if (absl::StrContains(hp.substr(k), ']')) return false;
  if (host) *host = std::string(h);
  if (port) *port = std::string(hp.substr(i + 1));
  return true;
}

Target::Target(model::Labels labels, model::Labels discovered_labels,
               std::map<std::string, std::vector<std::string>> params)
    : labels_(labels),
      discovered_(discovered_labels),
      params_(std::move(params)) {}

model::Labels Target::PublicLabels() const {
  std::vector<model::Label> out;
  for (const model::LabelView l : labels_) {
    if (!absl::StartsWith(l.name, model::kReservedPrefix)) {
      out.push_back({std::string(l.name), std::string(l.value)});
    }
  }
  return model::Labels::FromUnsorted(std::move(out));
}

std::string Target::Url() const {
  std::map<std::string, std::vector<std::string>> params = params_;
  for (const model::LabelView l : labels_) {
    if (!absl::StartsWith(l.name, model::kParamLabelPrefix)) continue;
    const std::string key(l.name.substr(model::kParamLabelPrefix.size()));
    auto& values = params[key];
    if (values.empty()) {
      values.emplace_back(l.value);
    } else {
      values[0].assign(l.value.data(), l.value.size());
    }
  }
  const absl::string_view scheme = labels_.Get(model::kSchemeLabel);
  const absl::string_view host = labels_.Get(model::kAddressLabel);
  const absl::string_view path = labels_.Get(model::kMetricsPathLabel);
  std::string url;
  if (!scheme.empty()) absl::StrAppend(&url, scheme, ":");
  if (!scheme.empty() || !host.empty()) {
    if (!host.empty() || !path.empty()) url.append("//");
    url.append(Escape(host, EscapeMode::kHost));
  }
  std::string escaped_path = Escape(path, EscapeMode::kPath);
  if (!escaped_path.empty() && escaped_path[0] != '/' && !host.empty()) {
    url.push_back('/');
  }
  url.append(escaped_path);
  std::string query;
  for (const auto& [k, values] : params) {  // std::map: sorted keys.
    for (const auto& v : values) {
      if (!query.empty()) query.push_back('&');
      absl::StrAppend(&query, Escape(k, EscapeMode::kQueryComponent), "=",
                      Escape(v, EscapeMode::kQueryComponent));
    }
  }
  if (!query.empty()) absl::StrAppend(&url, "?", query);
  return url;
}

uint64_t Target::Hash() const {
  model::Fnv1a64 h;
  h.Write(absl::StrFormat("%016d", labels_.Hash()));
  h.Write(Url());
  return h.Sum();
}

absl::Duration Target::Offset(absl::Duration interval, uint64_t offset_seed,
                              absl::Time now) const {
  const int64_t iv = absl::ToInt64Nanoseconds(interval);
  if (iv <= 0) return absl::ZeroDuration();
  const int64_t now_ns = absl::ToUnixNanos(now);
  const int64_t base = iv - now_ns % iv;
  const uint64_t offset = (Hash() ^ offset_seed) % static_cast<uint64_t>(iv);
  int64_t next = base + static_cast<int64_t>(offset);
  if (next > iv) next -= iv;
  return absl::Nanoseconds(next);
}

absl::StatusOr<std::pair<absl::Duration, absl::Duration>>
Target::IntervalAndTimeout() const {
  const absl::string_view interval = labels_.Get(model::kScrapeIntervalLabel);
  auto i = config::ParseDuration(interval);
  if (!i.ok()) {
    return Annotate(i.status(), absl::StrCat("error parsing interval label ",
                                             GoQuote(interval)));
  }
  const absl::string_view timeout = labels_.Get(model::kScrapeTimeoutLabel);
  auto t = config::ParseDuration(timeout);
  if (!t.ok()) {
    return Annotate(t.status(), absl::StrCat("error parsing timeout label ",
                                             GoQuote(timeout)));
  }
  return std::make_pair(*i, *t);
}

absl::StatusOr<bool> ParseGoBool(absl::string_view value) {
  if (value == "1" || value == "t" || value == "T" || value == "TRUE" ||
      value == "true" || value == "True") {
    return true;
  }
  if (value == "0" || value == "f" || value == "F" || value == "FALSE" ||
      value == "false" || value == "False") {
    return false;
  }
  return Err(absl::StrCat("strconv.ParseBool: parsing ", GoQuote(value),
                          ": invalid syntax"));
}

bool Target::BoolLabel(absl::string_view name, bool def) const {
  const absl::string_view v = labels_.Get(name);
  if (v.empty()) return def;
  absl::StatusOr<bool> b = ParseGoBool(v);
  return b.ok() ? *b : def;
}

absl::StatusOr<PopulatedLabels> PopulateLabels(
    const model::Labels& lset, const config::ScrapeConfig& cfg) {
  const std::pair<absl::string_view, std::string> scrape_labels[] = {
      {model::kJobLabel, cfg.job_name},
      {model::kScrapeIntervalLabel,
       config::FormatPromDuration(cfg.scrape_interval)},
      {model::kScrapeTimeoutLabel,
       config::FormatPromDuration(cfg.scrape_timeout)},
      {model::kMetricsPathLabel, cfg.metrics_path},
      {model::kSchemeLabel, cfg.scheme},
  };
  model::Builder lb(lset);
  for (const auto& [name, value] : scrape_labels) {
    if (lset.Get(name).empty()) lb.Set(name, value);
  }
  const bool v3 = cfg.compat == config::PrometheusCompat::kV3;
  const std::pair<absl::string_view, bool> histogram_labels[] = {
      {kConvertClassicHistogramsToNhcbLabel,
       cfg.convert_classic_histograms_to_nhcb},
      {kAlwaysScrapeClassicHistogramsLabel,
       cfg.always_scrape_classic_histograms},
      {kScrapeNativeHistogramsLabel, cfg.scrape_native_histograms},
  };
  if (v3) {
    for (const auto& [name, value] : histogram_labels) {
      if (lset.Get(name).empty()) lb.Set(name, value ? "true" : "false");
    }
  }
  // Prometheus 2.x sets `__param_<k>` from the config's params
  // unconditionally; 3.x only when discovery did not set it, so a target's
  // own `__param_module` (e.g. from file_sd) beats the job's default.
  for (const auto& [k, v] : cfg.params) {
    if (v.empty()) continue;
    const std::string name = absl::StrCat(model::kParamLabelPrefix, k);
    if (v3 && !lb.Get(name).empty()) {
      continue;
    }
    lb.Set(name, v[0]);
  }
  PopulatedLabels out;
  out.discovered = lb.Build();
  if (!relabel::Process(lb, cfg.relabel_rules)) return out;

  std::string addr(lb.Get(model::kAddressLabel));
  if (addr.empty()) return Err("no address");
  // 2.x appends the scheme's default port when the address has none and
  // adding one makes it a valid host:port. 3.x dropped this (and with it the
  // `invalid scheme` error): `__address__` and `instance` stay as written.
  if (cfg.compat == config::PrometheusCompat::kV2 &&
      !SplitHostPort(addr, nullptr, nullptr) &&
      SplitHostPort(absl::StrCat(addr, ":1234"), nullptr, nullptr)) {
    const absl::string_view scheme = lb.Get(model::kSchemeLabel);
    if (scheme == "http" || scheme.empty()) {
      addr.append(":80");
    } else if (scheme == "https") {
      addr.append(":443");
    } else {
      return Err(absl::StrCat("invalid scheme: ", GoQuote(cfg.scheme)));
    }
    lb.Set(model::kAddressLabel, addr);
  }
  PROMSCRAPE_RETURN_IF_ERROR(config::CheckTargetAddress(addr));

  const std::string interval(lb.Get(model::kScrapeIntervalLabel));
  auto interval_d = config::ParseDuration(interval);
  if (!interval_d.ok()) {
    return Annotate(interval_d.status(), "error parsing scrape interval");
  }
  if (*interval_d == absl::ZeroDuration()) {
    return Err("scrape interval cannot be 0");
  }
  const std::string timeout(lb.Get(model::kScrapeTimeoutLabel));
  auto timeout_d = config::ParseDuration(timeout);
  if (!timeout_d.ok()) {
    return Annotate(timeout_d.status(), "error parsing scrape timeout");
  }
  if (*timeout_d == absl::ZeroDuration()) {
    return Err("scrape timeout cannot be 0");
  }
  if (*timeout_d > *interval_d) {
    return Err(absl::StrCat(
        "scrape timeout cannot be greater than scrape interval (",
        GoQuote(timeout), " > ", GoQuote(interval), ")"));
  }
  if (v3) {
    const std::pair<absl::string_view, absl::string_view> what[] = {
        {kConvertClassicHistogramsToNhcbLabel,
         "convert classic histograms to nhcb"},
        {kAlwaysScrapeClassicHistogramsLabel,
         "always scrape classic histograms"},
        {kScrapeNativeHistogramsLabel, "scrape native histograms"},
    };
    for (const auto& [name, desc] : what) {
      const absl::string_view v = lb.Get(name);
      if (v.empty()) continue;
      if (absl::StatusOr<bool> b = ParseGoBool(v); !b.ok()) {
        return Err(absl::StrCat("error parsing ", desc, ": ",
                                b.status().message()));
      }
    }
  }

  // Meta labels go; other `__` labels stay for the URL and settings.
  std::vector<std::string> meta;
  for (const auto& l : lb.current()) {
    if (absl::StartsWith(l.name, model::kMetaLabelPrefix)) meta.push_back(l.name);
  }
  for (const auto& name : meta) lb.Del(name);
  if (lb.Get(model::kInstanceLabel).empty()) {
    lb.Set(model::kInstanceLabel, addr);
  }
  out.labels = lb.Build();
  for (const auto& l : out.labels) {
    if (!IsValidUtf8(l.value)) {
      return Err(absl::StrCat("invalid label value for ",
                              GoQuote(l.name), ": ",
                              GoQuote(l.value)));
    }
  }
  return out;
}

GroupTargets TargetsFromGroup(const TargetGroup& group,
                              const config::ScrapeConfig& config) {
  GroupTargets result;
  for (size_t i = 0; i < group.targets.size(); ++i) {
    const model::Labels& t = group.targets[i];
    // Target labels win over group labels.
    std::vector<model::Label> merged(t.begin(), t.end());
    for (const auto& l : group.labels) {
      if (!t.Has(l.name)) merged.push_back(l);
    }
    model::Builder lb(model::Labels::FromUnsorted(std::move(merged)));
    auto populated = PopulateLabels(lb.Build(), config);
    if (!populated.ok()) {
      result.failures.push_back(
          Annotate(populated.status(),
                   absl::StrCat("instance ", i, " in group ", group.source)));
      continue;
    }
    if (populated->labels.empty() && populated->discovered.empty()) continue;
    result.targets.emplace_back(std::move(populated->labels),
                                std::move(populated->discovered),
                                config.params);
  }
  return result;
}

uint64_t OffsetSeed(absl::string_view hostname,
                    const model::Labels& external_labels) {
  model::Fnv1a64 h;
  h.Write(hostname);
  h.Write(external_labels.ToString());
  return h.Sum();
}

}  // namespace promscrape::scrape
