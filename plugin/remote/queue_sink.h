#ifndef PLUGIN_REMOTE_QUEUE_SINK_H_
#define PLUGIN_REMOTE_QUEUE_SINK_H_

#include <memory>
#include <string>
#include <vector>

#include "plugin/common/byte_buffer.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/write_queue.h"
#include "plugin/model/sample_sink.h"
#include "plugin/model/histogram.h"
#include "plugin/model/labels.h"
#include "proto/remote/v1/remote.pb.h"

namespace promscrape::remote {

// A parsed native histogram as the RemoteWrite (prompb) message.
v1::Histogram ToProtoHistogram(const model::Histogram& histogram);

// Connects the scrape engine to the remote-write queue: an appender encodes
// one scrape's samples as RemoteWrite wire records and hands them to the
// queue on Commit, so a rolled back scrape sends nothing.
//
// External labels (prometheus.yml `global.external_labels`) are merged into
// every series as Prometheus' remote write merges them: a label the series
// already has keeps its value. They are applied when a scrape's records are
// encoded (appenders opened after SetExternalLabels see the new set), so
// samples queued before a config change keep the labels they had.
//
// Thread-safe (appenders are independent). `queue` must outlive the sink,
// and the sink must outlive its appenders.
class QueueSink final : public model::SampleSink {
 public:
  QueueSink(WriteQueue& queue, metrics::Registry& registry,
            const Logger& logger);
  std::unique_ptr<model::Appender> NewAppender() override;

  // Replaces the external labels (sorted, as model::Labels keeps them).
  void SetExternalLabels(model::Labels labels) ABSL_LOCKS_EXCLUDED(mu_);

  // Record buffers kept between scrapes, so a warm appender does not grow a
  // fresh buffer each scrape.
  ByteBuffer TakeBuffer() ABSL_LOCKS_EXCLUDED(mu_);
  void ReturnBuffer(ByteBuffer buffer) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  WriteQueue& queue_;
  const Logger& logger_;
  metrics::Metric& dropped_histograms_;
  Mutex mu_;
  std::vector<ByteBuffer> free_buffers_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const model::Labels> external_labels_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const model::Labels>();
};

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_QUEUE_SINK_H_
