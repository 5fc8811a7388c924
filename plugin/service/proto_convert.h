#ifndef PLUGIN_SERVICE_PROTO_CONVERT_H_
#define PLUGIN_SERVICE_PROTO_CONVERT_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "plugin/scrape/scrape_pool.h"
#include "plugin/scrape/target.h"
#include "proto/scrape/v1/scrape.pb.h"

// The engine's state as ScrapeControl messages (engine -> proto only; the
// requests' proto -> model translations live in control_handler.cc).
namespace promscrape::service {

// absl time values as the control API's well-known types.
void ToProtoTimestamp(absl::Time t, google::protobuf::Timestamp* out);
void ToProtoDuration(absl::Duration d, google::protobuf::Duration* out);

// Converts a target's state for the control API.
void ToProtoTarget(const scrape::TargetState& state, v1::Target* out);

// A pool's summary for ListPools and GetPool.
void ToProtoPool(const scrape::PoolInfo& pool, v1::Pool* out);

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_PROTO_CONVERT_H_
