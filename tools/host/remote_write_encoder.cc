#include "tools/host/remote_write_encoder.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "proto/io/prometheus/write/v2/types.pb.h"
#include "tools/host/write_request_v2.h"

namespace promscrape::host {
namespace {

namespace v2 = ::io::prometheus::write::v2;

// Interns strings into a Request's symbols table.
class SymbolTable {
 public:
  explicit SymbolTable(v2::Request& request) : request_(request) {
    Ref("");  // The specification wants "" at index 0.
  }

  uint32_t Ref(const std::string& s) {
    auto [it, inserted] =
        refs_.try_emplace(s, static_cast<uint32_t>(request_.symbols_size()));
    if (inserted) request_.add_symbols(s);
    return it->second;
  }

 private:
  v2::Request& request_;
  absl::flat_hash_map<std::string, uint32_t> refs_;
};

template <typename Labels, typename Refs>
void AddLabelRefs(const Labels& labels, SymbolTable& symbols, Refs* refs) {
  for (const v1::Label& l : labels) {
    refs->Add(symbols.Ref(l.name()));
    refs->Add(symbols.Ref(l.value()));
  }
}

}  // namespace

absl::string_view RemoteWriteEncoder::content_type() const {
  return protocol_ == RemoteWriteProtocol::kV2
             ? "application/x-protobuf;proto=io.prometheus.write.v2.Request"
             : "application/x-protobuf";
}

absl::string_view RemoteWriteEncoder::version() const {
  return protocol_ == RemoteWriteProtocol::kV2 ? "2.0.0" : "0.1.0";
}

bool RemoteWriteEncoder::Encode(const v1::WriteRequest& request,
                                std::string* body) {
  body->clear();
  if (protocol_ == RemoteWriteProtocol::kV2) return EncodeV2(request, body);
  if (request.timeseries_size() == 0 && request.metadata_size() == 0) {
    return false;
  }
  v1::WriteRequest prompb = request;
  prompb.clear_sequence();
  prompb.clear_writer_id();
  // Remote write 1.0 has no start timestamps (prompb.Sample has two fields).
  for (v1::TimeSeries& ts : *prompb.mutable_timeseries()) {
    for (v1::Sample& s : *ts.mutable_samples()) s.clear_start_timestamp();
    for (v1::Histogram& h : *ts.mutable_histograms()) h.clear_start_timestamp();
  }
  prompb.SerializeToString(body);
  return true;
}

bool RemoteWriteEncoder::Encode(const v1::WriteRequestV2& request,
                                std::string* body) {
  body->clear();
  if (protocol_ == RemoteWriteProtocol::kV2) {
    return ToRemoteWrite2Body(request, body);
  }
  ToWriteRequest(request, &v1_scratch_);
  return Encode(v1_scratch_, body);
}

const RemoteWriteEncoder::FamilyMetadata* RemoteWriteEncoder::FindMetadata(
    absl::string_view name) const {
  if (metadata_.empty()) return nullptr;
  auto it = metadata_.find(name);
  if (it != metadata_.end()) return &it->second;
  // Text format 0.0.4 names a counter's family with its _total; OpenMetrics
  // and the classic histogram and summary series without their suffixes.
  for (absl::string_view suffix :
       {"_total", "_bucket", "_count", "_sum", "_created", "_info"}) {
    if (absl::EndsWith(name, suffix)) {
      it = metadata_.find(name.substr(0, name.size() - suffix.size()));
      if (it != metadata_.end()) return &it->second;
    }
  }
  return nullptr;
}

bool RemoteWriteEncoder::EncodeV2(const v1::WriteRequest& request,
                                  std::string* body) {
  for (const v1::MetricMetadata& md : request.metadata()) {
    FamilyMetadata& family = metadata_[md.metric_family_name()];
    family.type = md.type();
    family.help = md.help();
    family.unit = md.unit();
  }
  if (request.timeseries_size() == 0) return false;
  v2::Request out;
  SymbolTable symbols(out);
  for (const v1::TimeSeries& in : request.timeseries()) {
    v2::TimeSeries* ts = out.add_timeseries();
    AddLabelRefs(in.labels(), symbols, ts->mutable_labels_refs());
    for (const v1::Sample& s : in.samples()) {
      v2::Sample* sample = ts->add_samples();
      sample->set_value(s.value());
      sample->set_timestamp(s.timestamp());
      sample->set_start_timestamp(s.start_timestamp());
    }
    for (const v1::Histogram& h : in.histograms()) {
      // NOTE: promscrape.v1.Histogram and v2.Histogram share every field
      // number, type and enum value, so the wire bytes are the same message.
      ts->add_histograms()->ParseFromString(h.SerializeAsString());
    }
    for (const v1::Exemplar& e : in.exemplars()) {
      v2::Exemplar* exemplar = ts->add_exemplars();
      AddLabelRefs(e.labels(), symbols, exemplar->mutable_labels_refs());
      exemplar->set_value(e.value());
      exemplar->set_timestamp(e.timestamp());
    }
    absl::string_view name;
    for (const v1::Label& l : in.labels()) {
      if (l.name() == "__name__") name = l.value();
    }
    if (const FamilyMetadata* md = FindMetadata(name)) {
      v2::Metadata* m = ts->mutable_metadata();
      // The two MetricType enums share their numbering.
      m->set_type(static_cast<v2::Metadata::MetricType>(md->type));
      m->set_help_ref(symbols.Ref(md->help));
      m->set_unit_ref(symbols.Ref(md->unit));
    }
  }
  out.SerializeToString(body);
  return true;
}

}  // namespace promscrape::host
