#ifndef PLUGIN_COMMON_THREAD_NAME_H_
#define PLUGIN_COMMON_THREAD_NAME_H_

#include "absl/strings/string_view.h"

namespace promscrape {

// Names the calling thread (as `top -H`, perf and /proc/<pid>/task show it)
// so an operator can tell the plugin's threads apart inside the host
// process. Linux keeps 15 bytes; longer names are cut. Thread-safe.
void SetCurrentThreadName(absl::string_view name);

}  // namespace promscrape

#endif  // PLUGIN_COMMON_THREAD_NAME_H_
