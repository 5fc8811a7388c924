#include "tests/textparse/parser_test_util.h"

#include <bit>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plugin/textparse/go_float.h"

namespace promscrape::textparse::testing {
namespace {

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string Labels(const std::vector<Label>& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, labels[i].name, "=\"");
    for (char c : labels[i].value) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\0') {
        out += "\\0";
      } else {
        out += c;
      }
    }
    out += "\"";
  }
  return out + "}";
}

template <typename T>
std::string Join(const std::vector<T>& v) {
  return absl::StrJoin(v, ",");
}

}  // namespace

std::string LabelString(Parser& parser) {
  std::vector<Label> labels;
  parser.Labels(&labels);
  return Labels(labels);
}

std::string DescribeEntry(Parser& p, Entry e) {
  switch (e) {
    case Entry::kHelp:
      return absl::StrCat("HELP ", AV(p.metadata_name()), " ", AV(p.help()));
    case Entry::kType:
      return absl::StrCat("TYPE ", AV(p.metadata_name()), " ",
                          AV(MetricTypeName(p.type())));
    case Entry::kUnit:
      return absl::StrCat("UNIT ", AV(p.metadata_name()), " ", AV(p.unit()));
    case Entry::kComment:
      return absl::StrCat("COMMENT ", AV(p.comment()));
    case Entry::kEof:
      return "EOF";
    case Entry::kSeries:
    case Entry::kHistogram:
      break;
  }
  std::string out;
  if (e == Entry::kSeries) {
    out = absl::StrCat("SERIES ", LabelString(p), " ",
                       FormatGoFloatG(p.Value()));
  } else {
    const Histogram& h = p.histogram();
    out = absl::StrCat("HISTOGRAM ", LabelString(p), h.is_float ? " float" : "",
                       h.is_gauge ? " gauge" : "", " schema=", h.schema,
                       " zt=", FormatGoFloatG(h.zero_threshold), " zc=",
                       h.is_float ? FormatGoFloatG(h.zero_count_float)
                                  : absl::StrCat(h.zero_count),
                       " count=",
                       h.is_float ? FormatGoFloatG(h.count_float)
                                  : absl::StrCat(h.count),
                       " sum=", FormatGoFloatG(h.sum));
    auto spans = [](const std::vector<BucketSpan>& s) {
      std::vector<std::string> parts;
      for (const BucketSpan& x : s) {
        parts.push_back(absl::StrCat(x.offset, ":", x.length));
      }
      return absl::StrJoin(parts, ",");
    };
    if (!h.positive_spans.empty()) {
      absl::StrAppend(&out, " pos=[", spans(h.positive_spans), "] ",
                      h.is_float ? Join(h.positive_counts)
                                 : Join(h.positive_deltas));
    }
    if (!h.negative_spans.empty()) {
      absl::StrAppend(&out, " neg=[", spans(h.negative_spans), "] ",
                      h.is_float ? Join(h.negative_counts)
                                 : Join(h.negative_deltas));
    }
    if (!h.custom_values.empty()) {
      std::vector<std::string> cv;
      for (double v : h.custom_values) cv.push_back(FormatGoFloatG(v));
      absl::StrAppend(&out, " cv=[", absl::StrJoin(cv, ","), "]");
    }
  }
  if (p.has_timestamp()) absl::StrAppend(&out, " @", p.timestamp_ms());
  Exemplar ex;
  while (p.NextExemplar(&ex)) {
    absl::StrAppend(&out, " # ", Labels(ex.labels), " ",
                    FormatGoFloatG(ex.value));
    if (ex.has_timestamp) absl::StrAppend(&out, " @", ex.timestamp_ms);
  }
  return out;
}

std::vector<std::string> ParseAll(Parser& parser) {
  std::vector<std::string> out;
  for (int guard = 0; guard < 1000000; ++guard) {
    absl::StatusOr<Entry> e = parser.Next();
    if (!e.ok()) {
      out.push_back(absl::StrCat("ERROR ", e.status().message()));
      return out;
    }
    if (*e == Entry::kEof) return out;
    out.push_back(DescribeEntry(parser, *e));
  }
  out.push_back("ERROR parser did not end");
  return out;
}

std::string FirstDifference(Parser& a, Parser& b) {
  for (int i = 0; i < 1000000; ++i) {
    absl::StatusOr<Entry> ea = a.Next();
    absl::StatusOr<Entry> eb = b.Next();
    if (ea.ok() != eb.ok() || (ea.ok() && *ea != *eb)) {
      return absl::StrCat("entry ", i, ": ",
                          ea.ok() ? "ok" : ea.status().message(), " vs ",
                          eb.ok() ? "ok" : eb.status().message());
    }
    if (!ea.ok()) {
      if (ea.status() != eb.status()) {
        return absl::StrCat("entry ", i, ": ", ea.status().ToString(), " vs ",
                            eb.status().ToString());
      }
      return "";
    }
    if (*ea == Entry::kEof) return "";
    std::string da = DescribeEntry(a, *ea);
    std::string db = DescribeEntry(b, *eb);
    if (da != db) return absl::StrCat("entry ", i, ": ", da, " vs ", db);
    if (*ea == Entry::kSeries || *ea == Entry::kHistogram) {
      if (a.Series() != b.Series() || a.MetricName() != b.MetricName() ||
          std::bit_cast<uint64_t>(a.Value()) !=
              std::bit_cast<uint64_t>(b.Value())) {
        return absl::StrCat("entry ", i, ": series ", AV(a.Series()), " vs ",
                            AV(b.Series()));
      }
    } else if (a.metadata_name() != b.metadata_name() || a.help() != b.help() ||
               a.comment() != b.comment()) {
      return absl::StrCat("entry ", i, ": metadata ", da);
    }
  }
  return "parsers did not end";
}

}  // namespace promscrape::textparse::testing
