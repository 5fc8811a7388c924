#include "plugin/config/global_config.h"

#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/common/utf8.h"
#include "plugin/config/duration.h"
#include "plugin/config/size.h"
#include "plugin/config/yaml_reader.h"
#include "plugin/model/names.h"

namespace promscrape::config {
namespace {

using internal::MapReader;

}  // namespace

std::vector<std::string> DefaultScrapeProtocols(PrometheusCompat compat) {
  if (compat == PrometheusCompat::kV3) {
    return {"OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
            "PrometheusText1.0.0", "PrometheusText0.0.4"};
  }
  return {"OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
          "PrometheusText0.0.4"};
}

std::vector<std::string> DefaultProtoFirstScrapeProtocols() {
  std::vector<std::string> out = {"PrometheusProto"};
  for (std::string& p : DefaultScrapeProtocols(PrometheusCompat::kV3)) {
    out.push_back(std::move(p));
  }
  return out;
}

absl::Status ValidateScrapeProtocolName(absl::string_view protocol,
                                        PrometheusCompat compat) {
  if (compat == PrometheusCompat::kV3) {
    for (absl::string_view k : kScrapeProtocolsV3) {
      if (k == protocol) return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown scrape protocol ", protocol, ", supported: [",
                     absl::StrJoin(kScrapeProtocolsV3, " "), "]"));
  }
  for (absl::string_view k : kScrapeProtocols) {
    if (k == protocol) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown scrape protocol ", protocol, ", supported: [",
                   absl::StrJoin(kScrapeProtocols, " "), "]"));
}

bool IsKnownEscapingScheme(absl::string_view scheme) {
  return scheme == kEscapingAllowUtf8 || scheme == kEscapingUnderscores ||
         scheme == kEscapingDots || scheme == kEscapingValues;
}

absl::Status DecodeNameValidationScheme(
    const YAML::Node& node, std::optional<model::NameValidation>* out) {
  std::string text;
  PROMSCRAPE_RETURN_IF_ERROR(internal::DecodeString(node, &text));
  if (text.empty()) return absl::OkStatus();
  if (text == "legacy") {
    *out = model::NameValidation::kLegacy;
  } else if (text == "utf8") {
    *out = model::NameValidation::kUtf8;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unrecognized ValidationScheme: ", GoQuote(text)));
  }
  return absl::OkStatus();
}

GlobalConfig DefaultGlobalConfig(PrometheusCompat compat) {
  GlobalConfig g;
  g.compat = compat;
  if (compat == PrometheusCompat::kV2) {
    g.metric_name_validation_scheme = model::NameValidation::kLegacy;
    g.metric_name_escaping_scheme.clear();
  }
  return g;
}

absl::Status ValidateScrapeProtocols(const std::vector<std::string>& protocols,
                                     absl::string_view where,
                                     PrometheusCompat compat) {
  if (protocols.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("scrape_protocols cannot be empty", where));
  }
  absl::flat_hash_set<std::string> seen;
  for (const auto& p : protocols) {
    if (!seen.insert(absl::AsciiStrToLower(p)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicated protocol in scrape_protocols, got [",
                       absl::StrJoin(protocols, " "), "]", where));
    }
    absl::Status known = ValidateScrapeProtocolName(p, compat);
    if (!known.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scrape_protocols: ", known.message(), where));
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeGlobalConfig(const YAML::Node& node,
                                PrometheusCompat compat, GlobalConfig* out) {
  if (internal::IsNullNode(node)) {
    *out = DefaultGlobalConfig(compat);
    return absl::OkStatus();
  }
  PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                              MapReader::Create(node, "config.GlobalConfig"));
  // Zero means "unset" for the durations, as in Prometheus.
  GlobalConfig g = DefaultGlobalConfig(compat);
  g.scrape_interval = g.scrape_timeout = g.evaluation_interval =
      absl::ZeroDuration();
  auto field = [](absl::Status s, absl::string_view name) {
    return Annotate(s, name);
  };
  PROMSCRAPE_RETURN_IF_ERROR(field(
      internal::DecodeDuration(r.Take("scrape_interval"), &g.scrape_interval),
      "scrape_interval"));
  PROMSCRAPE_RETURN_IF_ERROR(field(
      internal::DecodeDuration(r.Take("scrape_timeout"), &g.scrape_timeout),
      "scrape_timeout"));
  PROMSCRAPE_RETURN_IF_ERROR(
      field(internal::DecodeDuration(r.Take("evaluation_interval"),
                                     &g.evaluation_interval),
            "evaluation_interval"));
  YAML::Node protocols = r.Take("scrape_protocols");
  if (!internal::IsNullNode(protocols)) {
    g.scrape_protocols.emplace();
    PROMSCRAPE_RETURN_IF_ERROR(field(
        internal::DecodeStringList(protocols, &*g.scrape_protocols),
        "scrape_protocols"));
    PROMSCRAPE_RETURN_IF_ERROR(ValidateScrapeProtocols(
        *g.scrape_protocols, " for global config", compat));
  }
  std::map<std::string, std::string> external;
  PROMSCRAPE_RETURN_IF_ERROR(field(
      internal::DecodeStringMap(r.Take("external_labels"), &external),
      "external_labels"));
  PROMSCRAPE_RETURN_IF_ERROR(field(
      internal::DecodeString(r.Take("query_log_file"), &g.query_log_file),
      "query_log_file"));
  ScrapeLimits& l = g.limits;
  PROMSCRAPE_RETURN_IF_ERROR(field(
      internal::DecodeSize(r.Take("body_size_limit"), &l.body_size_limit),
      "body_size_limit"));
  struct {
    const char* name;
    uint64_t* out;
  } const uints[] = {
      {"sample_limit", &l.sample_limit},
      {"target_limit", &l.target_limit},
      {"label_limit", &l.label_limit},
      {"label_name_length_limit", &l.label_name_length_limit},
      {"label_value_length_limit", &l.label_value_length_limit},
      {"keep_dropped_targets", &l.keep_dropped_targets},
  };
  for (const auto& u : uints) {
    PROMSCRAPE_RETURN_IF_ERROR(
        field(internal::DecodeUint(r.Take(u.name), u.out), u.name));
  }
  if (compat == PrometheusCompat::kV3) {
    // Prometheus 2.42 has no such keys: r.Finish() refuses them there.
    std::optional<model::NameValidation> validation;
    PROMSCRAPE_RETURN_IF_ERROR(
        field(DecodeNameValidationScheme(
                  r.Take("metric_name_validation_scheme"), &validation),
              "metric_name_validation_scheme"));
    if (validation.has_value()) {
      g.metric_name_validation_scheme = *validation;
    }
    std::string escaping;
    PROMSCRAPE_RETURN_IF_ERROR(
        field(internal::DecodeString(r.Take("metric_name_escaping_scheme"),
                                     &escaping),
              "metric_name_escaping_scheme"));
    // config.ScrapeConfig.Validate: a blank escaping follows validation.
    if (escaping.empty()) {
      escaping = std::string(
          g.metric_name_validation_scheme == model::NameValidation::kLegacy
              ? kEscapingUnderscores
              : kEscapingAllowUtf8);
    } else if (!IsKnownEscapingScheme(escaping)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown global name escaping method specified, must be one of '",
          kEscapingAllowUtf8, "', '", kEscapingUnderscores, "', '",
          kEscapingDots, "', or '", kEscapingValues, "', got ",
          GoQuote(escaping)));
    }
    g.metric_name_escaping_scheme = std::move(escaping);
    PROMSCRAPE_RETURN_IF_ERROR(field(
        internal::DecodeBool(r.Take("extra_scrape_metrics"),
                             &g.extra_scrape_metrics),
        "extra_scrape_metrics"));
    PROMSCRAPE_RETURN_IF_ERROR(field(
        internal::DecodeString(r.Take("scrape_failure_log_file"),
                               &g.scrape_failure_log_file),
        "scrape_failure_log_file"));
    for (auto [key, target] :
         {std::pair<const char*, bool*>{"scrape_native_histograms",
                                        &g.scrape_native_histograms},
          {"always_scrape_classic_histograms",
           &g.always_scrape_classic_histograms},
          {"convert_classic_histograms_to_nhcb",
           &g.convert_classic_histograms_to_nhcb}}) {
      PROMSCRAPE_RETURN_IF_ERROR(
          field(internal::DecodeBool(r.Take(key), target), key));
    }
  }
  PROMSCRAPE_RETURN_IF_ERROR(r.Finish());

  std::vector<model::Label> ext;
  for (auto& [name, value] : external) {
    if (!model::IsValidLabelName(name, g.metric_name_validation_scheme)) {
      return absl::InvalidArgumentError(
          absl::StrCat(GoQuote(name), " is not a valid label name"));
    }
    if (!IsValidUtf8(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(GoQuote(value), " is not a valid label value"));
    }
    ext.push_back({name, value});
  }
  g.external_labels = model::Labels::FromUnsorted(std::move(ext));

  const GlobalConfig defaults = DefaultGlobalConfig(compat);
  if (g.scrape_interval == absl::ZeroDuration()) {
    g.scrape_interval = defaults.scrape_interval;
  }
  if (g.scrape_timeout > g.scrape_interval) {
    return absl::InvalidArgumentError(
        absl::StrCat("global scrape timeout greater than scrape interval (",
                     FormatPromDuration(g.scrape_timeout), " > ",
                     FormatPromDuration(g.scrape_interval), ")"));
  }
  if (g.scrape_timeout == absl::ZeroDuration()) {
    g.scrape_timeout = std::min(defaults.scrape_timeout, g.scrape_interval);
  }
  if (g.evaluation_interval == absl::ZeroDuration()) {
    g.evaluation_interval = defaults.evaluation_interval;
  }
  *out = std::move(g);
  return absl::OkStatus();
}

void EmitGlobalConfig(const GlobalConfig& g, YAML::Emitter& out) {
  out << YAML::BeginMap;
  out << YAML::Key << "scrape_interval" << YAML::Value
      << FormatPromDuration(g.scrape_interval);
  out << YAML::Key << "scrape_timeout" << YAML::Value
      << FormatPromDuration(g.scrape_timeout);
  out << YAML::Key << "evaluation_interval" << YAML::Value
      << FormatPromDuration(g.evaluation_interval);
  if (g.compat == PrometheusCompat::kV3) {
    out << YAML::Key << "metric_name_validation_scheme" << YAML::Value
        << std::string(model::NameValidationName(g.metric_name_validation_scheme));
    out << YAML::Key << "metric_name_escaping_scheme" << YAML::Value
        << g.metric_name_escaping_scheme;
    if (g.extra_scrape_metrics) {
      out << YAML::Key << "extra_scrape_metrics" << YAML::Value << true;
    }
    if (g.scrape_native_histograms) {
      out << YAML::Key << "scrape_native_histograms" << YAML::Value << true;
    }
    if (g.always_scrape_classic_histograms) {
      out << YAML::Key << "always_scrape_classic_histograms" << YAML::Value
          << true;
    }
    if (g.convert_classic_histograms_to_nhcb) {
      out << YAML::Key << "convert_classic_histograms_to_nhcb" << YAML::Value
          << true;
    }
    if (!g.scrape_failure_log_file.empty()) {
      out << YAML::Key << "scrape_failure_log_file" << YAML::Value
          << g.scrape_failure_log_file;
    }
  }
  if (g.scrape_protocols) {
    out << YAML::Key << "scrape_protocols" << YAML::Value << YAML::Flow
        << *g.scrape_protocols;
  }
  if (!g.external_labels.empty()) {
    out << YAML::Key << "external_labels" << YAML::Value << YAML::BeginMap;
    for (const auto& l : g.external_labels) {
      out << YAML::Key << l.name << YAML::Value << l.value;
    }
    out << YAML::EndMap;
  }
  if (!g.query_log_file.empty()) {
    out << YAML::Key << "query_log_file" << YAML::Value << g.query_log_file;
  }
  const ScrapeLimits& l = g.limits;
  if (l.body_size_limit != 0) {
    out << YAML::Key << "body_size_limit" << YAML::Value
        << FormatSize(l.body_size_limit);
  }
  out << YAML::Key << "sample_limit" << YAML::Value << l.sample_limit;
  out << YAML::Key << "target_limit" << YAML::Value << l.target_limit;
  out << YAML::Key << "label_limit" << YAML::Value << l.label_limit;
  out << YAML::Key << "label_name_length_limit" << YAML::Value
      << l.label_name_length_limit;
  out << YAML::Key << "label_value_length_limit" << YAML::Value
      << l.label_value_length_limit;
  out << YAML::Key << "keep_dropped_targets" << YAML::Value
      << l.keep_dropped_targets;
  out << YAML::EndMap;
}

}  // namespace promscrape::config
