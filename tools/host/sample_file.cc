#include "tools/host/sample_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace promscrape::host {
namespace {

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Whether any byte of `w` needs escaping (the exact "has a byte less than
// n" and "has a zero byte" word tricks).
bool WordNeedsEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t control = (w - kOnes * 0x20) & ~w & kHighs;
  const uint64_t q = w ^ (kOnes * '"');
  const uint64_t quote = (q - kOnes) & ~q & kHighs;
  const uint64_t b = w ^ (kOnes * '\\');
  const uint64_t backslash = (b - kOnes) & ~b & kHighs;
  return (control | quote | backslash) != 0;
}

void AppendJsonString(absl::string_view s, std::string& out) {
  out.push_back('"');
  // Label names and values rarely need escaping: copy runs of plain bytes
  // at once rather than byte by byte.
  size_t run = 0;
  size_t i = 0;
  // Eight bytes at a time while none of them needs escaping.
  while (i + 8 <= s.size()) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, sizeof w);
    if (WordNeedsEscape(w)) break;
    i += 8;
  }
  for (; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (!NeedsEscape(c)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void AppendNumber(double v, std::string& out) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  if (bits == kStaleNaNBits) {
    out += "\"StaleNaN\"";
  } else if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"+Inf\"" : "\"-Inf\"";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
  }
}

template <typename Int>
void AppendInt(Int v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void AppendLabels(const v1::TimeSeries& series, std::string& out) {
  out += "{\"labels\":{";
  bool first = true;
  for (const v1::Label& l : series.labels()) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(l.name(), out);
    out.push_back(':');
    AppendJsonString(l.value(), out);
  }
  out += "}";
}

void AppendSpans(absl::string_view key,
                 const google::protobuf::RepeatedPtrField<v1::BucketSpan>& spans,
                 std::string& out) {
  absl::StrAppend(&out, ",\"", key, "\":[");
  for (int i = 0; i < spans.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += "{\"offset\":";
    AppendInt(spans[i].offset(), out);
    out += ",\"length\":";
    AppendInt(spans[i].length(), out);
    out += "}";
  }
  out += "]";
}

template <typename Repeated>
void AppendNumbers(absl::string_view key, const Repeated& values,
                   std::string& out) {
  absl::StrAppend(&out, ",\"", key, "\":[");
  for (int i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    if constexpr (std::is_floating_point_v<typename Repeated::value_type>) {
      AppendNumber(values[i], out);
    } else {
      AppendInt(values[i], out);
    }
  }
  out += "]";
}

}  // namespace

void AppendSampleJson(const v1::TimeSeries& series, const v1::Sample& sample,
                      std::string& out) {
  AppendLabels(series, out);
  out += ",\"t\":";
  AppendInt(sample.timestamp(), out);
  if (sample.start_timestamp() != 0) {
    out += ",\"st\":";
    AppendInt(sample.start_timestamp(), out);
  }
  out += ",\"v\":";
  AppendNumber(sample.value(), out);
  out += "}";
}

void AppendHistogramJson(const v1::TimeSeries& series,
                         const v1::Histogram& h, std::string& out) {
  AppendLabels(series, out);
  out += ",\"t\":";
  AppendInt(h.timestamp(), out);
  if (h.start_timestamp() != 0) {
    out += ",\"st\":";
    AppendInt(h.start_timestamp(), out);
  }
  out += ",\"h\":{\"count\":";
  if (h.has_count_float()) {
    AppendNumber(h.count_float(), out);
  } else {
    AppendInt(h.count_int(), out);
  }
  out += ",\"sum\":";
  AppendNumber(h.sum(), out);
  out += ",\"schema\":";
  AppendInt(h.schema(), out);
  out += ",\"zero_threshold\":";
  AppendNumber(h.zero_threshold(), out);
  out += ",\"zero_count\":";
  if (h.has_zero_count_float()) {
    AppendNumber(h.zero_count_float(), out);
  } else {
    AppendInt(h.zero_count_int(), out);
  }
  AppendSpans("positive_spans", h.positive_spans(), out);
  if (h.positive_counts_size() > 0) {
    AppendNumbers("positive_counts", h.positive_counts(), out);
  } else {
    AppendNumbers("positive_deltas", h.positive_deltas(), out);
  }
  AppendSpans("negative_spans", h.negative_spans(), out);
  if (h.negative_counts_size() > 0) {
    AppendNumbers("negative_counts", h.negative_counts(), out);
  } else {
    AppendNumbers("negative_deltas", h.negative_deltas(), out);
  }
  if (h.custom_values_size() > 0) {
    AppendNumbers("custom_values", h.custom_values(), out);
  }
  if (h.reset_hint() != v1::Histogram::UNKNOWN) {
    absl::StrAppend(&out, ",\"reset_hint\":\"",
                    v1::Histogram::ResetHint_Name(h.reset_hint()), "\"");
  }
  out += "}}";
}

absl::StatusOr<std::unique_ptr<SampleFile>> SampleFile::Open(
    const std::string& path, bool fsync, SyncFunction sync) {
  if (sync == nullptr) sync = [](int fd) { return ::fsync(fd); };
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    std::string dir = path.substr(0, slash);
    // mkdir -p, one level at a time.
    for (size_t i = 1; i <= dir.size(); ++i) {
      if (i == dir.size() || dir[i] == '/') {
        std::string prefix = dir.substr(0, i);
        if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
          return absl::InvalidArgumentError(
              absl::StrCat("storage.file: cannot create directory \"", prefix,
                           "\": ", std::strerror(errno)));
        }
      }
    }
  }
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage.file: cannot open \"", path,
                     "\" for appending: ", std::strerror(errno)));
  }
  if (fsync) {
    // The file's directory entry must be durable too, or a crash after the
    // first acknowledged request can lose the whole (new) file.
    const std::string dir = slash == std::string::npos ? "."
                            : slash == 0               ? "/"
                                                       : path.substr(0, slash);
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    const int err = dir_fd < 0 || sync(dir_fd) != 0 ? errno : 0;
    if (dir_fd >= 0) ::close(dir_fd);
    if (err != 0) {
      std::fclose(file);
      return absl::InvalidArgumentError(
          absl::StrCat("storage.fsync: cannot sync directory \"", dir,
                       "\": ", std::strerror(err)));
    }
  }
  return std::unique_ptr<SampleFile>(
      new SampleFile(file, path, fsync, std::move(sync)));
}

SampleFile::~SampleFile() { std::fclose(file_); }

absl::Status SampleFile::Append(const v1::WriteRequest& request) {
  MutexLock lock(&mu_);
  buffer_.clear();
  int64_t samples = 0;
  for (const v1::TimeSeries& series : request.timeseries()) {
    for (const v1::Sample& sample : series.samples()) {
      AppendSampleJson(series, sample, buffer_);
      buffer_.push_back('\n');
      ++samples;
    }
    for (const v1::Histogram& h : series.histograms()) {
      AppendHistogramJson(series, h, buffer_);
      buffer_.push_back('\n');
      ++samples;
    }
  }
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size() ||
      std::fflush(file_) != 0 || (fsync_ && sync_(fileno(file_)) != 0)) {
    int err = errno;
    // Drop whatever part of this request stdio still holds so the next
    // request does not carry a torn line behind it.
    std::clearerr(file_);
    return absl::InternalError(absl::StrCat(
        "writing \"", path_, "\": ", std::strerror(err)));
  }
  samples_written_ += samples;
  return absl::OkStatus();
}

int64_t SampleFile::samples_written() const {
  MutexLock lock(&mu_);
  return samples_written_;
}

}  // namespace promscrape::host
