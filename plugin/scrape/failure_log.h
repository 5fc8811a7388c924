#ifndef PLUGIN_SCRAPE_FAILURE_LOG_H_
#define PLUGIN_SCRAPE_FAILURE_LOG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace promscrape::scrape {

// Prometheus 3.x' `scrape_failure_log_file`: every failed scrape (the HTTP
// request failed: refused, timed out, non-2xx status, body too large; not a
// body that fails to parse, as in scrape.go's scrapeAndReport) appends one
// JSON line, the shape Prometheus' JSONFileLogger (util/logging, promslog's
// JSON format) writes:
//
//   {"time":"2026-12-06T08:00:00.123Z","level":"ERROR","source":"scrape_loop.cc",
//    "msg":"server returned HTTP status 500 Internal Server Error",
//    "job_name":"node","target":"http://10.0.0.1:9100/metrics"}
//
// (one line; the time in the process' local zone with milliseconds). The
// file is opened for appending (created 0666 minus umask) when a config is
// applied and reopened at every later apply, so a rotated file is
// followed after the next config apply, as in Prometheus.
//
// Thread-safe: each line is one write(2) on an O_APPEND descriptor, so
// lines of concurrent loops (and of other jobs sharing the file) never
// interleave.
class ScrapeFailureLog {
 public:
  // Opens `path`. The error names it: `can't create json log file: open
  // <path>: Permission denied` (Prometheus' wording, which fails the config
  // apply).
  static absl::StatusOr<std::shared_ptr<ScrapeFailureLog>> Open(
      const std::string& path);

  ScrapeFailureLog(const ScrapeFailureLog&) = delete;
  ScrapeFailureLog& operator=(const ScrapeFailureLog&) = delete;
  ~ScrapeFailureLog();

  const std::string& path() const { return path_; }

  // Appends one line. A failed write is dropped (counted by nobody: the
  // scrape itself is already reported through `up` and the target's
  // last error).
  void Write(absl::Time time, absl::string_view job, absl::string_view target,
             absl::string_view message) const;

  // The line Write appends, with its trailing newline (tests).
  static std::string FormatLine(absl::Time time, absl::TimeZone zone,
                                absl::string_view job,
                                absl::string_view target,
                                absl::string_view message);

 private:
  ScrapeFailureLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  const std::string path_;
  const int fd_;
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_FAILURE_LOG_H_
