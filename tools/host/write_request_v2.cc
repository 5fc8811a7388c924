#include "tools/host/write_request_v2.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace promscrape::host {
namespace {

bool RefsOk(const google::protobuf::RepeatedField<uint32_t>& refs,
            int symbols) {
  if (refs.size() % 2 != 0) return false;
  for (uint32_t r : refs) {
    if (r >= static_cast<uint32_t>(symbols)) return false;
  }
  return true;
}

bool DataLess(const v1::TimeSeriesV2& ts) {
  return ts.samples_size() == 0 && ts.histograms_size() == 0 &&
         ts.exemplars_size() == 0;
}

template <typename Labels>
void ResolveLabels(const v1::WriteRequestV2& request,
                   const google::protobuf::RepeatedField<uint32_t>& refs,
                   Labels* out) {
  for (int i = 0; i + 1 < refs.size(); i += 2) {
    v1::Label* l = out->Add();
    l->set_name(request.symbols(static_cast<int>(refs[i])));
    l->set_value(request.symbols(static_cast<int>(refs[i + 1])));
  }
}

}  // namespace

absl::Status ValidateWriteRequestV2(const v1::WriteRequestV2& request) {
  const int symbols = request.symbols_size();
  for (int i = 0; i < request.timeseries_size(); ++i) {
    const v1::TimeSeriesV2& ts = request.timeseries(i);
    bool ok = RefsOk(ts.labels_refs(), symbols);
    for (const v1::ExemplarV2& e : ts.exemplars()) {
      ok = ok && RefsOk(e.labels_refs(), symbols);
    }
    if (ts.has_metadata()) {
      ok = ok && ts.metadata().help_ref() < static_cast<uint32_t>(symbols) &&
           ts.metadata().unit_ref() < static_cast<uint32_t>(symbols);
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "timeseries[", i, "]: symbol reference out of range (",
          symbols, " symbols) or odd labels_refs"));
    }
  }
  return absl::OkStatus();
}

void ToWriteRequest(const v1::WriteRequestV2& request, v1::WriteRequest* out) {
  out->Clear();
  out->set_sequence(request.sequence());
  out->set_writer_id(request.writer_id());
  for (const v1::TimeSeriesV2& in : request.timeseries()) {
    if (DataLess(in)) {
      if (!in.has_metadata()) continue;
      v1::MetricMetadata* md = out->add_metadata();
      const auto& refs = in.labels_refs();
      for (int i = 0; i + 1 < refs.size(); i += 2) {
        if (request.symbols(static_cast<int>(refs[i])) == "__name__") {
          md->set_metric_family_name(
              request.symbols(static_cast<int>(refs[i + 1])));
        }
      }
      md->set_type(in.metadata().type());
      md->set_help(request.symbols(static_cast<int>(in.metadata().help_ref())));
      md->set_unit(request.symbols(static_cast<int>(in.metadata().unit_ref())));
      continue;
    }
    v1::TimeSeries* ts = out->add_timeseries();
    ResolveLabels(request, in.labels_refs(), ts->mutable_labels());
    ts->mutable_samples()->CopyFrom(in.samples());
    ts->mutable_histograms()->CopyFrom(in.histograms());
    for (const v1::ExemplarV2& e : in.exemplars()) {
      v1::Exemplar* x = ts->add_exemplars();
      ResolveLabels(request, e.labels_refs(), x->mutable_labels());
      x->set_value(e.value());
      x->set_timestamp(e.timestamp());
    }
  }
}

bool ToRemoteWrite2Body(const v1::WriteRequestV2& request, std::string* body) {
  body->clear();
  v1::WriteRequestV2 out;
  // The symbols table is copied whole: references stay valid, and a symbol
  // only a dropped metadata series used costs its bytes, nothing else.
  out.mutable_symbols()->CopyFrom(request.symbols());
  for (const v1::TimeSeriesV2& ts : request.timeseries()) {
    if (ts.samples_size() == 0 && ts.histograms_size() == 0) continue;
    *out.add_timeseries() = ts;
  }
  if (out.timeseries_size() == 0) return false;
  out.SerializeToString(body);
  return true;
}

}  // namespace promscrape::host
