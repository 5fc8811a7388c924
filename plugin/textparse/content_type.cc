#include "plugin/textparse/content_type.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace promscrape::textparse {
namespace {

struct ProtocolInfo {
  std::string_view name;
  ScrapeProtocol protocol;
  std::string_view media_type;
  bool escaping;  // takes the escaping= parameter
};

constexpr ProtocolInfo kProtocols[] = {
    {"PrometheusProto", ScrapeProtocol::kPrometheusProto,
     "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
     "encoding=delimited",
     false},
    {"PrometheusText0.0.4", ScrapeProtocol::kPrometheusText0_0_4,
     "text/plain;version=0.0.4", false},
    {"PrometheusText1.0.0", ScrapeProtocol::kPrometheusText1_0_0,
     "text/plain;version=1.0.0", true},
    {"OpenMetricsText0.0.1", ScrapeProtocol::kOpenMetricsText0_0_1,
     "application/openmetrics-text;version=0.0.1", false},
    {"OpenMetricsText1.0.0", ScrapeProtocol::kOpenMetricsText1_0_0,
     "application/openmetrics-text;version=1.0.0", true},
};

const ProtocolInfo& Info(ScrapeProtocol p) {
  for (const ProtocolInfo& i : kProtocols) {
    if (i.protocol == p) return i;
  }
  return kProtocols[0];
}

// Go's mime isTokenChar.
bool IsTokenChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) ==
         std::string_view::npos;
}

std::string_view ConsumeToken(std::string_view* s) {
  size_t n = 0;
  while (n < s->size() && IsTokenChar((*s)[n])) ++n;
  std::string_view t = s->substr(0, n);
  s->remove_prefix(n);
  return t;
}

std::string_view TrimLeftSpace(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view TrimSpace(std::string_view s) {
  s = TrimLeftSpace(s);
  while (!s.empty() && absl::ascii_isspace(s.back())) s.remove_suffix(1);
  return s;
}

// A token or a quoted-string; returns false when neither is there.
bool ConsumeValue(std::string_view* s) {
  if (s->empty()) return false;
  if ((*s)[0] != '"') return !ConsumeToken(s).empty();
  for (size_t i = 1; i < s->size(); ++i) {
    char c = (*s)[i];
    if (c == '"') {
      s->remove_prefix(i + 1);
      return true;
    }
    if (c == '\\' && i + 1 < s->size()) {
      ++i;
    } else if (c == '\r' || c == '\n') {
      return false;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<ScrapeProtocol> ParseScrapeProtocol(std::string_view name) {
  for (const ProtocolInfo& i : kProtocols) {
    if (i.name == name) return i.protocol;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown scrape protocol \"",
                   absl::string_view(name.data(), name.size()), "\""));
}

std::string_view ScrapeProtocolMediaType(ScrapeProtocol protocol) {
  return Info(protocol).media_type;
}

std::string BuildAcceptHeader(const std::vector<ScrapeProtocol>& protocols,
                              std::string_view escaping) {
  int weight = static_cast<int>(std::size(kProtocols)) + 1;
  std::string out;
  for (ScrapeProtocol p : protocols) {
    const ProtocolInfo& info = Info(p);
    out.append(info.media_type);
    if (info.escaping && !escaping.empty()) {
      out.append(";escaping=");
      out.append(escaping);
    }
    absl::StrAppend(&out, ";q=0.", weight, ",");
    --weight;
  }
  absl::StrAppend(&out, "*/*;q=0.", weight);
  return out;
}

absl::StatusOr<std::string> ParseMediaType(std::string_view v) {
  size_t semi = v.find(';');
  std::string_view base = v.substr(0, semi);
  std::string media_type = absl::AsciiStrToLower(
      absl::string_view(TrimSpace(base).data(), TrimSpace(base).size()));
  std::string_view rest = media_type;
  std::string_view type = ConsumeToken(&rest);
  if (type.empty()) return absl::InvalidArgumentError("mime: no media type");
  if (!rest.empty()) {
    if (rest[0] != '/') {
      return absl::InvalidArgumentError(
          "mime: expected slash after first token");
    }
    rest.remove_prefix(1);
    if (ConsumeToken(&rest).empty()) {
      return absl::InvalidArgumentError("mime: expected token after slash");
    }
    if (!rest.empty()) {
      return absl::InvalidArgumentError(
          "mime: unexpected content after media subtype");
    }
  }
  std::string_view params =
      semi == std::string_view::npos ? std::string_view() : v.substr(semi);
  std::vector<std::string> seen;
  while (!params.empty()) {
    params = TrimLeftSpace(params);
    if (params.empty()) break;
    std::string_view before = params;
    bool ok = false;
    std::string key;
    if (params[0] == ';') {
      std::string_view r = TrimLeftSpace(params.substr(1));
      std::string_view k = ConsumeToken(&r);
      if (!k.empty()) {
        r = TrimLeftSpace(r);
        if (!r.empty() && r[0] == '=') {
          r = TrimLeftSpace(r.substr(1));
          if (ConsumeValue(&r)) {
            key = absl::AsciiStrToLower(absl::string_view(k.data(), k.size()));
            params = r;
            ok = true;
          }
        }
      }
    }
    if (!ok) {
      if (TrimSpace(before) == ";") break;  // trailing semicolon
      return absl::InvalidArgumentError("mime: invalid media parameter");
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return absl::InvalidArgumentError("mime: duplicate parameter name");
    }
    seen.push_back(std::move(key));
  }
  return media_type;
}

FormatChoice ChooseFormat(std::string_view content_type) {
  FormatChoice choice;
  if (content_type.empty()) return choice;
  absl::StatusOr<std::string> media = ParseMediaType(content_type);
  if (!media.ok()) {
    choice.warning = absl::StrCat(
        "invalid content type \"",
        absl::string_view(content_type.data(), content_type.size()),
        "\", using the Prometheus text parser: ", media.status().message());
    return choice;
  }
  if (*media == "application/openmetrics-text") {
    choice.format = Format::kOpenMetrics;
  } else if (*media == "application/vnd.google.protobuf") {
    choice.format = Format::kProtobuf;
  }
  return choice;
}

Format FormatOfProtocol(ScrapeProtocol protocol) {
  switch (protocol) {
    case ScrapeProtocol::kPrometheusProto:
      return Format::kProtobuf;
    case ScrapeProtocol::kOpenMetricsText0_0_1:
    case ScrapeProtocol::kOpenMetricsText1_0_0:
      return Format::kOpenMetrics;
    case ScrapeProtocol::kPrometheusText0_0_4:
    case ScrapeProtocol::kPrometheusText1_0_0:
      return Format::kPromText;
  }
  return Format::kPromText;
}

absl::StatusOr<FormatChoice> ChooseFormatStrict(
    std::string_view content_type, std::optional<ScrapeProtocol> fallback) {
  const absl::string_view ct(content_type.data(), content_type.size());
  FormatChoice choice;
  // 3.x quotes the fallback's media type (ScrapeProtocol.HeaderMediaType).
  std::string fallback_media;
  if (fallback.has_value()) {
    std::string_view mt = ScrapeProtocolMediaType(*fallback);
    mt = mt.substr(0, mt.find(';'));
    fallback_media.assign(mt.data(), mt.size());
    choice.format = FormatOfProtocol(*fallback);
  }
  if (content_type.empty()) {
    if (!fallback.has_value()) {
      return absl::InvalidArgumentError(
          "non-compliant scrape target sending blank Content-Type and no "
          "fallback_scrape_protocol specified for target");
    }
    choice.warning = absl::StrCat(
        "non-compliant scrape target sending blank Content-Type, using "
        "fallback_scrape_protocol \"",
        fallback_media, "\"");
    return choice;
  }
  absl::StatusOr<std::string> media = ParseMediaType(content_type);
  if (!media.ok()) {
    // errors.Join puts the mime error on a line of its own.
    if (!fallback.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot parse Content-Type \"", ct,
                       "\" and no fallback_scrape_protocol for target\n",
                       media.status().message()));
    }
    choice.warning = absl::StrCat(
        "could not parse received Content-Type \"", ct,
        "\", using fallback_scrape_protocol \"", fallback_media, "\"\n",
        media.status().message());
    return choice;
  }
  if (*media == "application/openmetrics-text") {
    choice.format = Format::kOpenMetrics;
    return choice;
  }
  if (*media == "application/vnd.google.protobuf") {
    choice.format = Format::kProtobuf;
    return choice;
  }
  if (*media == "text/plain") {
    choice.format = Format::kPromText;
    return choice;
  }
  if (!fallback.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("received unsupported Content-Type \"", ct,
                     "\" and no fallback_scrape_protocol specified for target"));
  }
  choice.warning =
      absl::StrCat("received unsupported Content-Type \"", ct,
                   "\", using fallback_scrape_protocol \"", fallback_media, "\"");
  return choice;
}

std::unique_ptr<Parser> NewParserForContentType(std::string_view content_type,
                                                std::string_view body,
                                                const ParserOptions& options,
                                                std::string* warning) {
  FormatChoice choice = ChooseFormat(content_type);
  if (warning != nullptr) *warning = std::move(choice.warning);
  return NewParser(choice.format, body, options);
}

}  // namespace promscrape::textparse
