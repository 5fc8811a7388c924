#include "plugin/config/scrape_config.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/config/duration.h"
#include "plugin/config/relabel_yaml.h"
#include "plugin/config/size.h"
#include "plugin/config/yaml_reader.h"
#include "plugin/model/names.h"
#include "re2/re2.h"

namespace promscrape::config {
namespace {

using internal::MapReader;

// Service discoveries compiled into Debian's Prometheus 2.42 (the arbiter of
// what a valid prometheus.yml is here); others are unknown fields there too.
// file_sd, http_sd and dns_sd are run by the plugin and decoded on their
// own.
constexpr absl::string_view kKnownSd[] = {
    "azure",     "digitalocean", "docker",   "dockerswarm",
    "ec2",       "eureka",       "gce",      "hetzner",     "ionos",
    "lightsail", "marathon",     "nerve",    "openstack",   "ovhcloud",
    "puppetdb",  "scaleway",     "serverset", "triton",     "uyuni",
    "vultr"};

// Discoveries upstream Prometheus 3.x has beyond Debian's 2.42 build
// (discovery/install): known under prometheus_compat "3" only.
constexpr absl::string_view kKnownSdV3Only[] = {
    "consul", "kubernetes", "kuma", "linode", "nomad", "stackit"};

absl::Status Err(absl::string_view msg) {
  return absl::InvalidArgumentError(msg);
}

}  // namespace

absl::Status DecodeTargetGroupList(const YAML::Node& node,
                                   absl::string_view field,
                                   std::vector<StaticConfig>* out,
                                   model::NameValidation names) {
  if (internal::IsNullNode(node)) return absl::OkStatus();
  if (!node.IsSequence()) {
    return Err(absl::StrCat(field, ": ", internal::LinePrefix(node),
                            "cannot unmarshal into []*targetgroup.Group"));
  }
  size_t i = 0;
  for (const auto& item : node) {
    const std::string where = absl::StrCat(field, "[", i++, "]");
    if (internal::IsNullNode(item)) {
      return Err(absl::StrCat(where, ": empty or null section in ", field));
    }
    PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                                MapReader::Create(item, "targetgroup.Group"));
    StaticConfig sc;
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        internal::DecodeStringList(r.Take("targets"), &sc.targets),
        absl::StrCat(where, " targets")));
    std::map<std::string, std::string> lbls;
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(internal::DecodeStringMap(r.Take("labels"), &lbls),
                 absl::StrCat(where, " labels")));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(r.Finish(), where));
    std::vector<model::Label> v;
    for (auto& [name, value] : lbls) {
      if (!model::IsValidLabelName(name, names)) {
        return Err(absl::StrCat(where, " labels: ", GoQuote(name),
                                " is not a valid label name"));
      }
      v.push_back({name, value});
    }
    sc.labels = model::Labels::FromUnsorted(std::move(v));
    out->push_back(std::move(sc));
  }
  return absl::OkStatus();
}

namespace {

absl::Status DecodeFileSdConfigs(const YAML::Node& node,
                                 absl::string_view base_dir,
                                 std::vector<FileSdConfig>* out) {
  if (internal::IsNullNode(node)) return absl::OkStatus();
  if (!node.IsSequence()) {
    return Err(absl::StrCat("file_sd_configs: ", internal::LinePrefix(node),
                            "cannot unmarshal into []*file.SDConfig"));
  }
  // Prometheus' `patFileSDName`.
  static const re2::RE2* const kPattern = new re2::RE2(
      R"(^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$)");
  size_t i = 0;
  for (const auto& item : node) {
    const std::string where = absl::StrCat("file_sd_configs[", i++, "]");
    FileSdConfig fc;
    PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                                MapReader::Create(item, "file.SDConfig"));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        internal::DecodeStringList(r.Take("files"), &fc.files), where));
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(internal::DecodeDuration(r.Take("refresh_interval"),
                                          &fc.refresh_interval),
                 absl::StrCat(where, " refresh_interval")));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(r.Finish(), where));
    if (fc.files.empty()) {
      return Err(absl::StrCat(where,
                              ": file service discovery config must contain "
                              "at least one path name"));
    }
    for (auto& f : fc.files) {
      if (!re2::RE2::FullMatch(f, *kPattern)) {
        return Err(absl::StrCat(where, ": path name ", GoQuote(f),
                                " is not valid for file discovery"));
      }
      f = ResolvePath(base_dir, f);
    }
    out->push_back(std::move(fc));
  }
  return absl::OkStatus();
}

absl::Status DecodeHttpSdConfigs(const YAML::Node& node,
                                 absl::string_view base_dir,
                                 std::vector<HttpSdConfig>* out) {
  if (internal::IsNullNode(node)) return absl::OkStatus();
  if (!node.IsSequence()) {
    return Err(absl::StrCat("http_sd_configs: ", internal::LinePrefix(node),
                            "cannot unmarshal into []*http.SDConfig"));
  }
  // Prometheus' http.SDConfig.UnmarshalYAML checks, in its order.
  static const re2::RE2* const kUrl =
      new re2::RE2(R"(^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*).*$)");
  size_t i = 0;
  for (const auto& item : node) {
    const std::string where = absl::StrCat("http_sd_configs[", i++, "]");
    if (internal::IsNullNode(item)) {
      return Err(absl::StrCat(where, ": empty or null section"));
    }
    HttpSdConfig hc;
    PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                                MapReader::Create(item, "http.SDConfig"));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        internal::DecodeString(r.Take("url"), &hc.url), where));
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(internal::DecodeDuration(r.Take("refresh_interval"),
                                          &hc.refresh_interval),
                 absl::StrCat(where, " refresh_interval")));
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(DecodeHttpClientConfig(r, base_dir, &hc.http_client), where));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(r.Finish(), where));
    if (hc.url.empty()) return Err(absl::StrCat(where, ": URL is missing"));
    std::string scheme, host;
    if (!re2::RE2::FullMatch(hc.url, *kUrl, &scheme, &host)) {
      return Err(absl::StrCat(where, ": invalid URL ", GoQuote(hc.url)));
    }
    if (scheme != "http" && scheme != "https") {
      return Err(absl::StrCat(where, ": URL scheme must be 'http' or 'https'"));
    }
    if (host.empty()) {
      return Err(absl::StrCat(where, ": host is missing in URL"));
    }
    out->push_back(std::move(hc));
  }
  return absl::OkStatus();
}

absl::Status DecodeDnsSdConfigs(const YAML::Node& node,
                                PrometheusCompat compat,
                                std::vector<DnsSdConfig>* out) {
  if (internal::IsNullNode(node)) return absl::OkStatus();
  if (!node.IsSequence()) {
    return Err(absl::StrCat("dns_sd_configs: ", internal::LinePrefix(node),
                            "cannot unmarshal into []*dns.SDConfig"));
  }
  size_t i = 0;
  for (const auto& item : node) {
    const std::string where = absl::StrCat("dns_sd_configs[", i++, "]");
    if (internal::IsNullNode(item)) {
      return Err(absl::StrCat(where, ": empty or null section"));
    }
    DnsSdConfig dc;
    PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                                MapReader::Create(item, "dns.SDConfig"));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        internal::DecodeStringList(r.Take("names"), &dc.names), where));
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(internal::DecodeDuration(r.Take("refresh_interval"),
                                          &dc.refresh_interval),
                 absl::StrCat(where, " refresh_interval")));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        internal::DecodeString(r.Take("type"), &dc.type), where));
    uint64_t port = 0;
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        internal::DecodeUint(r.Take("port"), &port), absl::StrCat(where, " port")));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(r.Finish(), where));
    if (dc.names.empty()) {
      return Err(absl::StrCat(
          where, ": DNS-SD config must contain at least one SRV record name"));
    }
    if (port > 65535) {
      return Err(absl::StrCat(where, ": port ", port, " out of range"));
    }
    dc.port = static_cast<int>(port);
    dc.type = absl::AsciiStrToUpper(dc.type);
    if (dc.type.empty()) dc.type = "SRV";
    const bool known = dc.type == "SRV" || dc.type == "A" ||
                       dc.type == "AAAA" || dc.type == "MX" ||
                       (dc.type == "NS" && compat == PrometheusCompat::kV3);
    if (!known) {
      return Err(
          absl::StrCat(where, ": invalid DNS-SD records type ", dc.type));
    }
    if (dc.type != "SRV" && dc.port == 0) {
      return Err(absl::StrCat(where,
                              ": a port is required in DNS-SD configs for "
                              "all record types except SRV"));
    }
    out->push_back(std::move(dc));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTargetAddress(absl::string_view address) {
  if (absl::StrContains(address, "/")) {
    return Err(absl::StrCat(GoQuote(address),
                            " is not a valid hostname"));
  }
  return absl::OkStatus();
}

absl::Status DecodeScrapeConfig(const YAML::Node& node,
                                const GlobalConfig& global,
                                absl::string_view base_dir, ScrapeConfig* out) {
  if (internal::IsNullNode(node)) return Err("empty or null scrape config section");
  PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                              MapReader::Create(node, "config.ScrapeConfig"));
  ScrapeConfig c;
  c.compat = global.compat;
  c.metric_name_validation_scheme = global.metric_name_validation_scheme;
  c.metric_name_escaping_scheme = global.metric_name_escaping_scheme;
  c.scrape_interval = c.scrape_timeout = absl::ZeroDuration();
  auto field = [](absl::Status s, absl::string_view name) {
    return Annotate(s, name);
  };
#define PROMSCRAPE_FIELD_(decoder, key, target) \
  PROMSCRAPE_RETURN_IF_ERROR(                   \
      field(internal::decoder(r.Take(key), target), key))
  PROMSCRAPE_FIELD_(DecodeString, "job_name", &c.job_name);
  PROMSCRAPE_FIELD_(DecodeBool, "honor_labels", &c.honor_labels);
  PROMSCRAPE_FIELD_(DecodeBool, "honor_timestamps", &c.honor_timestamps);
  PROMSCRAPE_FIELD_(DecodeBool, "track_timestamps_staleness",
                    &c.track_timestamps_staleness);
  PROMSCRAPE_FIELD_(DecodeStringListMap, "params", &c.params);
  PROMSCRAPE_FIELD_(DecodeDuration, "scrape_interval", &c.scrape_interval);
  PROMSCRAPE_FIELD_(DecodeDuration, "scrape_timeout", &c.scrape_timeout);
  YAML::Node protocols = r.Take("scrape_protocols");
  const bool protocols_set = !internal::IsNullNode(protocols);
  PROMSCRAPE_RETURN_IF_ERROR(
      field(internal::DecodeStringList(protocols, &c.scrape_protocols),
            "scrape_protocols"));
  PROMSCRAPE_FIELD_(DecodeString, "metrics_path", &c.metrics_path);
  PROMSCRAPE_FIELD_(DecodeString, "scheme", &c.scheme);
  PROMSCRAPE_FIELD_(DecodeBool, "enable_compression", &c.enable_compression);
  PROMSCRAPE_FIELD_(DecodeSize, "body_size_limit", &c.limits.body_size_limit);
  PROMSCRAPE_FIELD_(DecodeUint, "sample_limit", &c.limits.sample_limit);
  PROMSCRAPE_FIELD_(DecodeUint, "target_limit", &c.limits.target_limit);
  PROMSCRAPE_FIELD_(DecodeUint, "label_limit", &c.limits.label_limit);
  PROMSCRAPE_FIELD_(DecodeUint, "label_name_length_limit",
                    &c.limits.label_name_length_limit);
  PROMSCRAPE_FIELD_(DecodeUint, "label_value_length_limit",
                    &c.limits.label_value_length_limit);
  PROMSCRAPE_FIELD_(DecodeUint, "keep_dropped_targets",
                    &c.limits.keep_dropped_targets);
  PROMSCRAPE_FIELD_(DecodeUint, "native_histogram_bucket_limit",
                    &c.native_histogram_bucket_limit);
  PROMSCRAPE_FIELD_(DecodeDouble, "native_histogram_min_bucket_factor",
                    &c.native_histogram_min_bucket_factor);
#undef PROMSCRAPE_FIELD_
  if (c.compat == PrometheusCompat::kV2) {
    // 2.4x' name of always_scrape_classic_histograms; 3.x refuses it as an
    // unknown field. Native histograms are scraped whenever a target sends
    // them (2.x with --enable-feature=native-histograms, as ever here).
    PROMSCRAPE_RETURN_IF_ERROR(
        field(internal::DecodeBool(r.Take("scrape_classic_histograms"),
                                   &c.always_scrape_classic_histograms),
              "scrape_classic_histograms"));
    c.scrape_native_histograms = true;
  }
  // Prometheus 2.42 has none of these keys: r.Finish() refuses them there.
  std::optional<model::NameValidation> validation;
  std::string escaping;
  if (c.compat == PrometheusCompat::kV3) {
    // config.ScrapeConfig.Validate: each unset key takes the global value.
    c.scrape_native_histograms = global.scrape_native_histograms;
    c.always_scrape_classic_histograms =
        global.always_scrape_classic_histograms;
    c.convert_classic_histograms_to_nhcb =
        global.convert_classic_histograms_to_nhcb;
    for (auto [key, target] :
         {std::pair<const char*, bool*>{"scrape_native_histograms",
                                        &c.scrape_native_histograms},
          {"always_scrape_classic_histograms",
           &c.always_scrape_classic_histograms},
          {"convert_classic_histograms_to_nhcb",
           &c.convert_classic_histograms_to_nhcb}}) {
      PROMSCRAPE_RETURN_IF_ERROR(
          field(internal::DecodeBool(r.Take(key), target), key));
    }
    PROMSCRAPE_RETURN_IF_ERROR(
        field(internal::DecodeString(r.Take("fallback_scrape_protocol"),
                                     &c.fallback_scrape_protocol),
              "fallback_scrape_protocol"));
    PROMSCRAPE_RETURN_IF_ERROR(
        field(DecodeNameValidationScheme(
                  r.Take("metric_name_validation_scheme"), &validation),
              "metric_name_validation_scheme"));
    PROMSCRAPE_RETURN_IF_ERROR(
        field(internal::DecodeString(r.Take("metric_name_escaping_scheme"),
                                     &escaping),
              "metric_name_escaping_scheme"));
    if (validation.has_value()) c.metric_name_validation_scheme = *validation;
    c.extra_scrape_metrics = global.extra_scrape_metrics;
    PROMSCRAPE_RETURN_IF_ERROR(
        field(internal::DecodeBool(r.Take("extra_scrape_metrics"),
                                   &c.extra_scrape_metrics),
              "extra_scrape_metrics"));
    PROMSCRAPE_RETURN_IF_ERROR(
        field(internal::DecodeString(r.Take("scrape_failure_log_file"),
                                     &c.scrape_failure_log_file),
              "scrape_failure_log_file"));
    // config.ScrapeConfig.SetDirectory, then Validate's inheritance.
    c.scrape_failure_log_file =
        c.scrape_failure_log_file.empty()
            ? global.scrape_failure_log_file
            : ResolvePath(base_dir, c.scrape_failure_log_file);
  }
  PROMSCRAPE_RETURN_IF_ERROR(DecodeTargetGroupList(
      r.Take("static_configs"), "static_configs", &c.static_configs,
      c.compat == PrometheusCompat::kV3 ? model::NameValidation::kUtf8
                                        : model::NameValidation::kLegacy));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeFileSdConfigs(
      r.Take("file_sd_configs"), base_dir, &c.file_sd_configs));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeHttpSdConfigs(
      r.Take("http_sd_configs"), base_dir, &c.http_sd_configs));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeDnsSdConfigs(r.Take("dns_sd_configs"),
                                                c.compat, &c.dns_sd_configs));
  std::vector<absl::string_view> known(std::begin(kKnownSd),
                                       std::end(kKnownSd));
  if (c.compat == PrometheusCompat::kV3) {
    known.insert(known.end(), std::begin(kKnownSdV3Only),
                 std::end(kKnownSdV3Only));
  }
  for (absl::string_view sd : known) {
    const std::string key = absl::StrCat(sd, "_sd_configs");
    YAML::Node n = r.Take(key);
    if (internal::IsNullNode(n)) continue;
    if (!n.IsSequence()) {
      return Err(absl::StrCat(key, ": ", internal::LinePrefix(n),
                              "cannot unmarshal into a list"));
    }
    c.unsupported_sd_configs.push_back(key);
  }
  PROMSCRAPE_RETURN_IF_ERROR(DecodeRelabelConfigs(
      r.Take("relabel_configs"), "relabel_configs",
      "empty or null target relabeling rule in scrape config",
      c.metric_name_validation_scheme, c.compat == PrometheusCompat::kV3,
      &c.relabel_configs, &c.relabel_rules));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeRelabelConfigs(
      r.Take("metric_relabel_configs"), "metric_relabel_configs",
      "empty or null metric relabeling rule in scrape config",
      c.metric_name_validation_scheme, c.compat == PrometheusCompat::kV3,
      &c.metric_relabel_configs, &c.metric_relabel_rules));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeHttpClientConfig(r, base_dir, &c.http_client,
                             /*accept_http_headers=*/c.compat ==
                                 PrometheusCompat::kV3));
  PROMSCRAPE_RETURN_IF_ERROR(r.Finish());

  // ScrapeConfig.UnmarshalYAML checks.
  if (c.job_name.empty()) return Err("job_name is empty");
  if (c.relabel_configs.empty()) {
    // Users putting URLs in target groups; with relabel rules the address
    // may still be rewritten, so the check moves to target creation.
    for (size_t i = 0; i < c.static_configs.size(); ++i) {
      for (const auto& t : c.static_configs[i].targets) {
        PROMSCRAPE_RETURN_IF_ERROR(
            Annotate(CheckTargetAddress(t),
                     absl::StrCat("static_configs[", i, "] targets")));
      }
    }
  }

  // ScrapeConfig.Validate(global).
  if (c.scrape_interval == absl::ZeroDuration()) {
    c.scrape_interval = global.scrape_interval;
  }
  if (c.scrape_timeout > c.scrape_interval) {
    return Err(absl::StrCat("scrape_timeout ", FormatPromDuration(c.scrape_timeout),
                            " greater than scrape_interval ",
                            FormatPromDuration(c.scrape_interval)));
  }
  if (c.scrape_timeout == absl::ZeroDuration()) {
    c.scrape_timeout = std::min(global.scrape_timeout, c.scrape_interval);
  }
  if (protocols_set) {
    PROMSCRAPE_RETURN_IF_ERROR(ValidateScrapeProtocols(
        c.scrape_protocols,
        absl::StrCat(" for scrape config with job name ", GoQuote(c.job_name)),
        c.compat));
  } else if (global.scrape_protocols.has_value()) {
    c.scrape_protocols = *global.scrape_protocols;
  } else if (c.compat == PrometheusCompat::kV3 &&
             c.scrape_native_histograms) {
    // config.ScrapeConfig.Validate: the job's own native histogram switch
    // picks the default order; an explicit global list wins over it.
    c.scrape_protocols = DefaultProtoFirstScrapeProtocols();
  } else {
    c.scrape_protocols = DefaultScrapeProtocols(c.compat);
    c.scrape_protocols_defaulted.value = true;
  }
  if (!c.fallback_scrape_protocol.empty()) {
    absl::Status known =
        ValidateScrapeProtocolName(c.fallback_scrape_protocol, c.compat);
    if (!known.ok()) {
      return Err(absl::StrCat(
          "invalid fallback_scrape_protocol for scrape config with job name ",
          GoQuote(c.job_name), ": ", known.message()));
    }
  }
  if (c.compat == PrometheusCompat::kV3) {
    // config.ScrapeConfig.Validate: a blank escaping follows the job's own
    // validation when it set one, else the global escaping.
    if (escaping.empty()) {
      if (!validation.has_value()) {
        escaping = global.metric_name_escaping_scheme;
      } else if (*validation == model::NameValidation::kLegacy) {
        escaping = std::string(kEscapingUnderscores);
      } else {
        escaping = std::string(kEscapingAllowUtf8);
      }
    }
    if (escaping == kEscapingAllowUtf8) {
      if (c.metric_name_validation_scheme != model::NameValidation::kUtf8) {
        return Err(
            "utf8 metric names requested but validation scheme is not set to "
            "UTF8");
      }
    } else if (!IsKnownEscapingScheme(escaping)) {
      return Err(absl::StrCat(
          "unknown scrape config name escaping method specified, must be one "
          "of '",
          kEscapingAllowUtf8, "', '", kEscapingUnderscores, "', '",
          kEscapingDots, "', or '", kEscapingValues, "', got ",
          GoQuote(escaping)));
    }
    c.metric_name_escaping_scheme = std::move(escaping);
  }
  ScrapeLimits& l = c.limits;
  const ScrapeLimits& g = global.limits;
  if (l.body_size_limit == 0) l.body_size_limit = g.body_size_limit;
  if (l.sample_limit == 0) l.sample_limit = g.sample_limit;
  if (l.target_limit == 0) l.target_limit = g.target_limit;
  if (l.label_limit == 0) l.label_limit = g.label_limit;
  if (l.label_name_length_limit == 0) {
    l.label_name_length_limit = g.label_name_length_limit;
  }
  if (l.label_value_length_limit == 0) {
    l.label_value_length_limit = g.label_value_length_limit;
  }
  if (l.keep_dropped_targets == 0) {
    l.keep_dropped_targets = g.keep_dropped_targets;
  }
  *out = std::move(c);
  return absl::OkStatus();
}

void EmitScrapeConfig(const ScrapeConfig& c, YAML::Emitter& out) {
  out << YAML::BeginMap;
  out << YAML::Key << "job_name" << YAML::Value << c.job_name;
  out << YAML::Key << "honor_labels" << YAML::Value << c.honor_labels;
  out << YAML::Key << "honor_timestamps" << YAML::Value << c.honor_timestamps;
  out << YAML::Key << "track_timestamps_staleness" << YAML::Value
      << c.track_timestamps_staleness;
  if (!c.params.empty()) {
    out << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : c.params) {
      out << YAML::Key << k << YAML::Value << YAML::Flow << v;
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "scrape_interval" << YAML::Value
      << FormatPromDuration(c.scrape_interval);
  out << YAML::Key << "scrape_timeout" << YAML::Value
      << FormatPromDuration(c.scrape_timeout);
  out << YAML::Key << "scrape_protocols" << YAML::Value << YAML::Flow
      << c.scrape_protocols;
  if (c.compat == PrometheusCompat::kV3) {
    if (!c.fallback_scrape_protocol.empty()) {
      out << YAML::Key << "fallback_scrape_protocol" << YAML::Value
          << c.fallback_scrape_protocol;
    }
    out << YAML::Key << "metric_name_validation_scheme" << YAML::Value
        << std::string(
               model::NameValidationName(c.metric_name_validation_scheme));
    out << YAML::Key << "metric_name_escaping_scheme" << YAML::Value
        << c.metric_name_escaping_scheme;
    // Always: a job's false must survive a global true.
    out << YAML::Key << "extra_scrape_metrics" << YAML::Value
        << c.extra_scrape_metrics;
    out << YAML::Key << "scrape_native_histograms" << YAML::Value
        << c.scrape_native_histograms;
    out << YAML::Key << "always_scrape_classic_histograms" << YAML::Value
        << c.always_scrape_classic_histograms;
    out << YAML::Key << "convert_classic_histograms_to_nhcb" << YAML::Value
        << c.convert_classic_histograms_to_nhcb;
    if (!c.scrape_failure_log_file.empty()) {
      out << YAML::Key << "scrape_failure_log_file" << YAML::Value
          << c.scrape_failure_log_file;
    }
  } else if (c.always_scrape_classic_histograms) {
    out << YAML::Key << "scrape_classic_histograms" << YAML::Value << true;
  }
  out << YAML::Key << "metrics_path" << YAML::Value << c.metrics_path;
  out << YAML::Key << "scheme" << YAML::Value << c.scheme;
  out << YAML::Key << "enable_compression" << YAML::Value
      << c.enable_compression;
  if (c.limits.body_size_limit != 0) {
    out << YAML::Key << "body_size_limit" << YAML::Value
        << FormatSize(c.limits.body_size_limit);
  }
  out << YAML::Key << "sample_limit" << YAML::Value << c.limits.sample_limit;
  out << YAML::Key << "target_limit" << YAML::Value << c.limits.target_limit;
  out << YAML::Key << "label_limit" << YAML::Value << c.limits.label_limit;
  out << YAML::Key << "label_name_length_limit" << YAML::Value
      << c.limits.label_name_length_limit;
  out << YAML::Key << "label_value_length_limit" << YAML::Value
      << c.limits.label_value_length_limit;
  out << YAML::Key << "keep_dropped_targets" << YAML::Value
      << c.limits.keep_dropped_targets;
  out << YAML::Key << "native_histogram_bucket_limit" << YAML::Value
      << c.native_histogram_bucket_limit;
  EmitHttpClientConfig(c.http_client, out);
  if (!c.static_configs.empty()) {
    out << YAML::Key << "static_configs" << YAML::Value << YAML::BeginSeq;
    for (const auto& sc : c.static_configs) {
      out << YAML::BeginMap << YAML::Key << "targets" << YAML::Value
          << sc.targets;
      if (!sc.labels.empty()) {
        out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
        for (const auto& l : sc.labels) {
          out << YAML::Key << l.name << YAML::Value << l.value;
        }
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!c.file_sd_configs.empty()) {
    out << YAML::Key << "file_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const auto& fc : c.file_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "files" << YAML::Value << fc.files
          << YAML::Key << "refresh_interval" << YAML::Value
          << FormatPromDuration(fc.refresh_interval) << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!c.http_sd_configs.empty()) {
    out << YAML::Key << "http_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const auto& hc : c.http_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << hc.url
          << YAML::Key << "refresh_interval" << YAML::Value
          << FormatPromDuration(hc.refresh_interval);
      EmitHttpClientConfig(hc.http_client, out);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!c.dns_sd_configs.empty()) {
    out << YAML::Key << "dns_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const auto& dc : c.dns_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "names" << YAML::Value << dc.names
          << YAML::Key << "refresh_interval" << YAML::Value
          << FormatPromDuration(dc.refresh_interval) << YAML::Key << "type"
          << YAML::Value << dc.type << YAML::Key << "port" << YAML::Value
          << dc.port << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  for (const std::string& key : c.unsupported_sd_configs) {
    // The sections' contents are not kept: the host runs them.
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq
        << YAML::EndSeq
        << YAML::Comment(absl::StrCat(
               "targets from the host: UpdateTargets provider \"", key,
               "\""));
  }
  if (!c.relabel_configs.empty()) {
    out << YAML::Key << "relabel_configs" << YAML::Value;
    EmitRelabelConfigs(c.relabel_configs, out);
  }
  if (!c.metric_relabel_configs.empty()) {
    out << YAML::Key << "metric_relabel_configs" << YAML::Value;
    EmitRelabelConfigs(c.metric_relabel_configs, out);
  }
  out << YAML::EndMap;
}

}  // namespace promscrape::config
