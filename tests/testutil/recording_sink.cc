#include "tests/testutil/recording_sink.h"

#include <bit>
#include <utility>

namespace promscrape::testing {

std::ostream& operator<<(std::ostream& os, const RecordedSample& s) {
  os << s.series.ToString() << " @" << s.timestamp_ms << " ";
  if (s.histogram.has_value()) {
    os << "histogram(schema=" << s.histogram->schema
       << ", count=" << s.histogram->count << ")";
  } else if (s.is_stale()) {
    os << "StaleNaN";
  } else {
    os << s.value;
  }
  return os;
}

std::unique_ptr<model::Appender> RecordingSink::NewAppender() {
  return std::make_unique<RecordingAppender>(this);
}

std::vector<RecordedSample> RecordingSink::Samples() const {
  MutexLock lock(&mu_);
  return samples_;
}

std::vector<RecordedSample> RecordingSink::RolledBack() const {
  MutexLock lock(&mu_);
  return rolled_back_;
}

int RecordingSink::commits() const {
  MutexLock lock(&mu_);
  return commits_;
}

int RecordingSink::rollbacks() const {
  MutexLock lock(&mu_);
  return rollbacks_;
}

void RecordingSink::FailCommitsWith(absl::Status status) {
  MutexLock lock(&mu_);
  commit_status_ = std::move(status);
}

std::vector<RecordedExemplar> RecordingSink::Exemplars() const {
  MutexLock lock(&mu_);
  return exemplars_;
}

void RecordingSink::Clear() {
  MutexLock lock(&mu_);
  samples_.clear();
  exemplars_.clear();
  rolled_back_.clear();
  rejected_.clear();
  commits_ = rollbacks_ = 0;
}

void RecordingSink::Reject(Rejection rejection) {
  MutexLock lock(&mu_);
  rejections_.push_back(std::move(rejection));
}

void RecordingSink::ClearRejections() {
  MutexLock lock(&mu_);
  rejections_.clear();
}

std::vector<RecordedSample> RecordingSink::Rejected() const {
  MutexLock lock(&mu_);
  return rejected_;
}

model::AppendStatus RecordingSink::Check(const RecordedSample& sample) {
  MutexLock lock(&mu_);
  if (rejections_.empty()) return model::AppendStatus::kOk;
  const std::string series = sample.SeriesString();
  for (Rejection& r : rejections_) {
    if (r.times == 0 || (sample.is_stale() && !r.stale_markers) ||
        series.find(r.series) == std::string::npos) {
      continue;
    }
    if (r.times > 0) --r.times;
    rejected_.push_back(sample);
    return r.status;
  }
  return model::AppendStatus::kOk;
}

void RecordingSink::Finish(std::vector<RecordedSample> samples,
                           std::vector<RecordedExemplar> exemplars,
                           bool committed) {
  MutexLock lock(&mu_);
  if (committed) {
    for (RecordedExemplar& e : exemplars) exemplars_.push_back(std::move(e));
  }
  std::vector<RecordedSample>& into = committed ? samples_ : rolled_back_;
  (committed ? commits_ : rollbacks_)++;
  for (RecordedSample& s : samples) into.push_back(std::move(s));
}

RecordingAppender::~RecordingAppender() {
  if (!pending_.empty()) Rollback();
}

model::AppendStatus RecordingAppender::Add(RecordedSample sample) {
  model::AppendStatus status =
      sink_ != nullptr ? sink_->Check(sample) : model::AppendStatus::kOk;
  if (status == model::AppendStatus::kOk) pending_.push_back(std::move(sample));
  return status;
}

model::AppendStatus RecordingAppender::Append(
    const model::SeriesLabels& series, int64_t timestamp_ms, double value) {
  RecordedSample s;
  s.series = series.ToLabels();
  s.timestamp_ms = timestamp_ms;
  s.value = value;
  s.value_bits = std::bit_cast<uint64_t>(value);
  return Add(std::move(s));
}

model::AppendStatus RecordingAppender::AppendHistogram(
    const model::SeriesLabels& series, int64_t timestamp_ms,
    const model::Histogram& histogram) {
  RecordedSample s;
  s.series = series.ToLabels();
  s.timestamp_ms = timestamp_ms;
  s.histogram = histogram;
  return Add(std::move(s));
}

model::AppendStatus RecordingAppender::AppendWithStart(
    const model::SeriesLabels& series, int64_t timestamp_ms,
    int64_t start_timestamp_ms, double value) {
  RecordedSample s;
  s.series = series.ToLabels();
  s.timestamp_ms = timestamp_ms;
  s.start_timestamp_ms = start_timestamp_ms;
  s.value = value;
  s.value_bits = std::bit_cast<uint64_t>(value);
  return Add(std::move(s));
}

model::AppendStatus RecordingAppender::AppendHistogramWithStart(
    const model::SeriesLabels& series, int64_t timestamp_ms,
    int64_t start_timestamp_ms, const model::Histogram& histogram) {
  RecordedSample s;
  s.series = series.ToLabels();
  s.timestamp_ms = timestamp_ms;
  s.start_timestamp_ms = start_timestamp_ms;
  s.histogram = histogram;
  return Add(std::move(s));
}

void RecordingAppender::AppendExemplar(const model::SeriesLabels& series,
                                       const model::Exemplar& exemplar) {
  RecordedExemplar e;
  e.series = series.ToLabels();
  std::vector<model::Label> labels;
  for (const model::LabelView& l : exemplar.labels) {
    labels.push_back({std::string(l.name), std::string(l.value)});
  }
  e.labels = model::Labels::FromUnsorted(std::move(labels));
  e.value = exemplar.value;
  e.timestamp_ms = exemplar.timestamp_ms;
  pending_exemplars_.push_back(std::move(e));
}

absl::Status RecordingAppender::Commit() {
  absl::Status status;
  if (sink_ != nullptr) {
    {
      MutexLock lock(&sink_->mu_);
      status = sink_->commit_status_;
    }
    sink_->Finish(std::move(pending_), std::move(pending_exemplars_),
                  status.ok());
  }
  pending_.clear();
  pending_exemplars_.clear();
  return status;
}

void RecordingAppender::Rollback() {
  if (sink_ != nullptr) {
    sink_->Finish(std::move(pending_), std::move(pending_exemplars_), false);
  }
  pending_.clear();
  pending_exemplars_.clear();
}

}  // namespace promscrape::testing
