#include "plugin/textparse/protobuf_metric_wire.h"

#include "plugin/textparse/protobuf_wire.h"

namespace promscrape::textparse::internal {

// Whether a Summary message (of a metric whose family is not a summary,
// which Prometheus still unmarshals) has the wire types metrics.proto
// gives its fields: sample_count varint, sample_sum double, quantile
// {quantile double, value double} messages.
bool ValidSummaryWire(std::string_view msg) {
  Wire w(msg);
  while (!w.done()) {
    uint32_t f, wt;
    uint64_t v;
    double d;
    std::string_view q;
    if (!w.Tag(&f, &wt)) return false;
    bool ok;
    if (f == 1) {
      ok = w.VarintField(wt, &v);
    } else if (f == 2) {
      ok = w.DoubleField(wt, &d);
    } else if (f == 3) {
      ok = w.LenField(wt, &q);
      Wire qw(q);
      while (ok && !qw.done()) {
        uint32_t qf, qwt;
        ok = qw.Tag(&qf, &qwt) &&
             (qf == 1 || qf == 2 ? qw.DoubleField(qwt, &d) : qw.Skip(qwt));
      }
    } else {
      ok = w.Skip(wt);
    }
    if (!ok) return false;
  }
  return true;
}

// created_timestamp (a google.protobuf.Timestamp) at `field` of a Counter,
// Summary or Histogram message, in milliseconds; 0 when absent or unreadable.
int64_t CreatedTimestampMs(std::string_view msg, uint32_t field) {
  Wire w(msg);
  std::string_view ts;
  bool found = false;
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.Tag(&f, &wt)) return 0;
    if (f == field) {
      if (!w.LenField(wt, &ts)) return 0;
      found = true;  // The last occurrence wins, as in protobuf.
    } else if (!w.Skip(wt)) {
      return 0;
    }
  }
  if (!found) return 0;
  int64_t seconds = 0, nanos = 0;
  Wire tw(ts);
  while (!tw.done()) {
    uint32_t f, wt;
    uint64_t v = 0;
    if (!tw.Tag(&f, &wt)) return 0;
    if (f == 1 || f == 2) {
      if (!tw.VarintField(wt, &v)) return 0;
      (f == 1 ? seconds : nanos) = static_cast<int64_t>(v);
      if (f == 2) nanos = static_cast<int32_t>(v);
    } else if (!tw.Skip(wt)) {
      return 0;
    }
  }
  // protobufparse.go: seconds*1e3 + nanos/1e6, without validation.
  return static_cast<int64_t>(static_cast<uint64_t>(seconds) * 1000u +
                              static_cast<uint64_t>(nanos / 1000000));
}

}  // namespace promscrape::textparse::internal
