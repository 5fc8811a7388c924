#include "plugin/common/logging.h"

#include <cstdio>

namespace promscrape {

Logger::Logger()
    : sink_([](LogLevel level, absl::string_view message) {
        std::string line =
            absl::StrCat(LogLevelName(level), ": ", message, "\n");
        std::fwrite(line.data(), 1, line.size(), stderr);
      }) {}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

}  // namespace promscrape
