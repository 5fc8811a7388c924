#ifndef PLUGIN_COMMON_LOGGING_H_
#define PLUGIN_COMMON_LOGGING_H_

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace promscrape {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Where the plugin's log lines go: the host's log callback in production,
// stderr or a recorder in tests. (This abseil has no absl/log.)
//
// Thread-safe: `Log` may be called from any thread; the function given to
// the constructor must be safe to call concurrently.
class Logger {
 public:
  using Sink = std::function<void(LogLevel, absl::string_view)>;

  // A logger that writes "level: message" lines to stderr.
  Logger();
  explicit Logger(Sink sink) : sink_(std::move(sink)) {}

  void Log(LogLevel level, absl::string_view message) const {
    sink_(level, message);
  }

  template <typename... Args>
  void Info(const Args&... args) const {
    Log(LogLevel::kInfo, absl::StrCat(args...));
  }
  template <typename... Args>
  void Warning(const Args&... args) const {
    Log(LogLevel::kWarning, absl::StrCat(args...));
  }
  template <typename... Args>
  void Error(const Args&... args) const {
    Log(LogLevel::kError, absl::StrCat(args...));
  }

 private:
  Sink sink_;
};

// "debug", "info", "warn" or "error".
absl::string_view LogLevelName(LogLevel level);

}  // namespace promscrape

#endif  // PLUGIN_COMMON_LOGGING_H_
