#ifndef PLUGIN_COMMON_CLOCK_H_
#define PLUGIN_COMMON_CLOCK_H_

#include "absl/time/time.h"

namespace promscrape {

// The only source of time in the plugin, injected so tests run on a fake
// clock without sleeping. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  // The current wall-clock time.
  virtual absl::Time Now() const = 0;

  // Returns the process-wide real clock; never null, never destroyed.
  static Clock& Real();
};

}  // namespace promscrape

#endif  // PLUGIN_COMMON_CLOCK_H_
