#ifndef TESTS_TESTUTIL_RECORDING_SINK_H_
#define TESTS_TESTUTIL_RECORDING_SINK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "plugin/common/mutex.h"
#include "plugin/model/compact_labels.h"
#include "plugin/model/labels.h"
#include "plugin/model/sample_sink.h"
#include "plugin/model/histogram.h"

namespace promscrape::testing {

inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ULL;

// One sample as it reached an appender.
struct RecordedSample {
  model::Labels series;
  int64_t timestamp_ms = 0;
  int64_t start_timestamp_ms = 0;  // AppendWithStart; 0: none.
  double value = 0;         // Float samples.
  uint64_t value_bits = 0;  // Bit pattern of `value` (NaN kinds differ).
  std::optional<model::Histogram> histogram;  // Histogram samples.

  bool is_stale() const { return value_bits == kStaleNaNBits; }
  // `series` as Prometheus prints it, for readable expectations.
  std::string SeriesString() const { return series.ToString(); }
};

std::ostream& operator<<(std::ostream& os, const RecordedSample& s);

// One exemplar as it reached an appender.
struct RecordedExemplar {
  model::Labels series;
  model::Labels labels;
  double value = 0;
  int64_t timestamp_ms = 0;
};

// A SampleSink that keeps every committed sample in commit order and what
// the rolled-back appenders held. It can play a storage that rejects chosen
// samples (out of order, duplicate, out of bounds: Reject()).
//
// Thread-safe: appenders may be opened, filled and committed from any
// thread; each appender itself is thread-compatible like any Appender.
class RecordingSink : public model::SampleSink {
 public:
  std::unique_ptr<model::Appender> NewAppender() override;

  // Committed samples, in commit order.
  std::vector<RecordedSample> Samples() const;
  // Committed exemplars, in commit order.
  std::vector<RecordedExemplar> Exemplars() const;
  // Samples of appenders that were rolled back (or destroyed without
  // Commit), in order.
  std::vector<RecordedSample> RolledBack() const;
  int commits() const;
  int rollbacks() const;
  // Makes every later Commit() fail with `status` (and drop its samples).
  void FailCommitsWith(absl::Status status);
  // Forgets the samples (committed, rolled back, rejected) and counts; keeps
  // the rejections in force.
  void Clear();

  // A storage rejection: Append returns `status` for samples whose series
  // string (Labels::ToString()) contains `series`, for the next `times` such
  // samples (-1: all of them). StaleNaN samples pass unless `stale_markers`.
  // Rejected samples are not recorded; Rejected() lists them.
  struct Rejection {
    std::string series;
    model::AppendStatus status = model::AppendStatus::kOutOfOrder;
    int times = -1;
    bool stale_markers = false;
  };
  void Reject(Rejection rejection);
  void ClearRejections();
  // Samples an Append rejected, in order.
  std::vector<RecordedSample> Rejected() const;

 private:
  friend class RecordingAppender;
  void Finish(std::vector<RecordedSample> samples,
              std::vector<RecordedExemplar> exemplars, bool committed);
  // The status for `sample` (consumes one use of a matching rejection).
  model::AppendStatus Check(const RecordedSample& sample);

  mutable Mutex mu_;
  std::vector<RecordedSample> samples_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedExemplar> exemplars_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedSample> rolled_back_ ABSL_GUARDED_BY(mu_);
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
  int rollbacks_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status commit_status_ ABSL_GUARDED_BY(mu_);
  std::vector<Rejection> rejections_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedSample> rejected_ ABSL_GUARDED_BY(mu_);
};

// The appender RecordingSink hands out; usable alone (with a null sink it
// just records into `pending()`).
class RecordingAppender : public model::Appender {
 public:
  explicit RecordingAppender(RecordingSink* sink) : sink_(sink) {}
  ~RecordingAppender() override;

  model::AppendStatus Append(const model::SeriesLabels& series,
                              int64_t timestamp_ms, double value) override;
  model::AppendStatus AppendHistogram(
      const model::SeriesLabels& series, int64_t timestamp_ms,
      const model::Histogram& histogram) override;
  model::AppendStatus AppendWithStart(const model::SeriesLabels& series,
                                      int64_t timestamp_ms,
                                      int64_t start_timestamp_ms,
                                      double value) override;
  model::AppendStatus AppendHistogramWithStart(
      const model::SeriesLabels& series, int64_t timestamp_ms,
      int64_t start_timestamp_ms, const model::Histogram& histogram) override;
  void AppendExemplar(const model::SeriesLabels& series,
                      const model::Exemplar& exemplar) override;
  absl::Status Commit() override;
  void Rollback() override;

  // Samples appended since the last Commit/Rollback.
  const std::vector<RecordedSample>& pending() const { return pending_; }

 private:
  model::AppendStatus Add(RecordedSample sample);

  RecordingSink* sink_;
  std::vector<RecordedSample> pending_;
  std::vector<RecordedExemplar> pending_exemplars_;
};

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_RECORDING_SINK_H_
