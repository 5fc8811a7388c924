#ifndef PLUGIN_API_QUEUE_SINK_H_
#define PLUGIN_API_QUEUE_SINK_H_

#include <memory>

#include "plugin/common/logging.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/write_queue.h"
#include "plugin/scrape/sample_sink.h"
#include "plugin/textparse/histogram.h"
#include "proto/remote/v1/remote.pb.h"

namespace promscrape::api {

// A parsed native histogram as the RemoteWrite (prompb) message.
v1::Histogram ToProtoHistogram(const textparse::Histogram& histogram);

// Connects the scrape engine to the remote-write queue: an appender buffers
// one scrape's samples and hands them to the queue on Commit, so a rolled
// back scrape sends nothing.
//
// Thread-safe (appenders are independent). `queue` must outlive the sink.
class QueueSink final : public scrape::SampleSink {
 public:
  QueueSink(remote::WriteQueue& queue, metrics::Registry& registry,
            const Logger& logger);
  std::unique_ptr<scrape::Appender> NewAppender() override;

 private:
  remote::WriteQueue& queue_;
  const Logger& logger_;
  metrics::Metric& dropped_histograms_;
};

}  // namespace promscrape::api

#endif  // PLUGIN_API_QUEUE_SINK_H_
