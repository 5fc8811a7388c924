#include "plugin/common/thread_name.h"

#include <pthread.h>

#include <string>

namespace promscrape {

void SetCurrentThreadName(absl::string_view name) {
  std::string cut(name.substr(0, 15));
  // Best effort: a name is a diagnostic aid, never worth failing for.
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace promscrape
