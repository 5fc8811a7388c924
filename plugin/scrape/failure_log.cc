#include "plugin/scrape/failure_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace promscrape::scrape {
namespace {

// Go's log/slog JSON string escaping (json_handler.go
// appendEscapedJSONString: encoding/json's rules without HTML escaping):
// `"` and `\` escaped, \n \r \t by name, other control bytes as \u00XX,
// U+2028/U+2029 as \u2028/\u2029, invalid UTF-8 as \ufffd.
void AppendJsonString(absl::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          if (c < 0x20) {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xf]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: its length from the lead byte, then validated.
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 4;
      cp = c & 0x07;
    }
    bool valid = n > 0 && i + n <= s.size();
    for (size_t k = 1; valid && k < n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (valid) {
      // Overlong forms, surrogates and values past U+10FFFF are invalid.
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      valid = cp >= kMin[n] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    }
    if (!valid) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      out->append(cp == 0x2028 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.data() + i, n);
    }
    i += n;
  }
  out->push_back('"');
}

}  // namespace

absl::StatusOr<std::shared_ptr<ScrapeFailureLog>> ScrapeFailureLog::Open(
    const std::string& path) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("can't create json log file: open ", path, ": ",
                     std::strerror(errno)));
  }
  return std::shared_ptr<ScrapeFailureLog>(
      new ScrapeFailureLog(path, fd));
}

ScrapeFailureLog::~ScrapeFailureLog() { close(fd_); }

std::string ScrapeFailureLog::FormatLine(absl::Time time, absl::TimeZone zone,
                                         absl::string_view job,
                                         absl::string_view target,
                                         absl::string_view message) {
  // Go's time.RFC3339 with milliseconds, as slog writes it: "Z" for UTC,
  // else the +hh:mm offset.
  const bool utc = zone.At(time).offset == 0;
  std::string line = absl::StrCat(
      "{\"time\":\"",
      absl::FormatTime(utc ? "%Y-%m-%dT%H:%M:%E3SZ" : "%Y-%m-%dT%H:%M:%E3S%Ez",
                       time, zone),
      "\",\"level\":\"ERROR\",\"source\":\"scrape_loop.cc\",\"msg\":");
  AppendJsonString(message, &line);
  line.append(",\"job_name\":");
  AppendJsonString(job, &line);
  line.append(",\"target\":");
  AppendJsonString(target, &line);
  line.append("}\n");
  return line;
}

void ScrapeFailureLog::Write(absl::Time time, absl::string_view job,
                             absl::string_view target,
                             absl::string_view message) const {
  const std::string line =
      FormatLine(time, absl::LocalTimeZone(), job, target, message);
  // One write: O_APPEND keeps concurrent lines whole. A short write of a
  // line this small means the disk is full; nothing to retry into.
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
}

}  // namespace promscrape::scrape
