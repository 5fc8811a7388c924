#include "plugin/service/proto_convert.h"

#include <string>

namespace promscrape::service {

void ToProtoTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t ns = absl::ToUnixNanos(t);
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

void ToProtoDuration(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t ns = absl::ToInt64Nanoseconds(d);
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

void ToProtoTarget(const scrape::TargetState& s, v1::Target* out) {
  out->set_job(s.job);
  out->set_scrape_url(s.url);
  for (const model::Label& l : s.labels) (*out->mutable_labels())[l.name] = l.value;
  for (const model::Label& l : s.discovered_labels) {
    (*out->mutable_discovered_labels())[l.name] = l.value;
  }
  switch (s.health) {
    case scrape::TargetHealth::kUp:
      out->set_health(v1::HEALTH_UP);
      break;
    case scrape::TargetHealth::kDown:
      out->set_health(v1::HEALTH_DOWN);
      break;
    default:
      out->set_health(v1::HEALTH_UNKNOWN);
  }
  out->set_last_error(s.last_error);
  if (s.last_scrape != absl::InfinitePast() && s.last_scrape != absl::Time()) {
    ToProtoTimestamp(s.last_scrape, out->mutable_last_scrape());
  }
  ToProtoDuration(s.last_duration, out->mutable_last_scrape_duration());
  ToProtoDuration(s.interval, out->mutable_scrape_interval());
  ToProtoDuration(s.timeout, out->mutable_scrape_timeout());
  out->set_last_samples(s.last_samples);
}

void ToProtoPool(const scrape::PoolInfo& p, v1::Pool* out) {
  out->set_job(p.job);
  ToProtoDuration(p.scrape_interval, out->mutable_scrape_interval());
  ToProtoDuration(p.scrape_timeout, out->mutable_scrape_timeout());
  out->set_active_targets(p.active_targets);
  out->set_dropped_targets(p.dropped_targets);
  out->set_target_limit(p.target_limit);
  out->set_error(p.error);
  out->set_healthy_targets(p.healthy_targets);
  out->set_unhealthy_targets(p.unhealthy_targets);
}

}  // namespace promscrape::service
