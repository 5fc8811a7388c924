// The C ABI of plugin/api/promscrape.h over api::Plugin.

#include "plugin/api/promscrape.h"

#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "plugin/api/plugin.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"

struct promscrape_plugin {
  std::unique_ptr<promscrape::api::Plugin> plugin;
};

namespace {

using promscrape::LogLevel;
using promscrape::Mutex;
using promscrape::MutexLock;

// Handles that promscrape_stop has not seen yet, so a second stop of the
// same handle is a no-op instead of a double free.
Mutex& LiveMutex() {
  static Mutex* const mu = new Mutex();
  return *mu;
}
absl::flat_hash_set<promscrape_plugin*>& LiveHandles() {
  static auto* const live = new absl::flat_hash_set<promscrape_plugin*>();
  return *live;
}

void WriteError(char* err, size_t err_len, absl::string_view message) {
  if (err == nullptr || err_len == 0) return;
  size_t n = std::min(message.size(), err_len - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

promscrape::Logger HostLogger(const promscrape_host* host) {
  if (host == nullptr || host->log == nullptr) return promscrape::Logger();
  auto* log = host->log;
  void* user = host->user;
  return promscrape::Logger([log, user](LogLevel level,
                                        absl::string_view message) {
    std::string line(message);
    log(user, static_cast<int>(level), line.c_str());
  });
}

}  // namespace

extern "C" {

uint32_t promscrape_abi_version(void) { return PROMSCRAPE_ABI_VERSION; }

promscrape_plugin* promscrape_start(const char* config_yaml,
                                    const promscrape_host* host, char* err,
                                    size_t err_len) {
  try {
    if (host != nullptr && host->abi_version != PROMSCRAPE_ABI_VERSION) {
      WriteError(err, err_len,
                 "host abi_version " + std::to_string(host->abi_version) +
                     " does not match the plugin's " +
                     std::to_string(PROMSCRAPE_ABI_VERSION));
      return nullptr;
    }
    absl::StatusOr<std::unique_ptr<promscrape::api::Plugin>> plugin =
        promscrape::api::Plugin::Start(
            config_yaml == nullptr ? "" : config_yaml, HostLogger(host));
    if (!plugin.ok()) {
      WriteError(err, err_len, plugin.status().message());
      return nullptr;
    }
    auto* handle = new promscrape_plugin{std::move(plugin).value()};
    MutexLock lock(&LiveMutex());
    LiveHandles().insert(handle);
    return handle;
  } catch (const std::exception& e) {
    WriteError(err, err_len, std::string("internal error: ") + e.what());
  } catch (...) {
    WriteError(err, err_len, "internal error: unknown exception");
  }
  return nullptr;
}

void promscrape_stop(promscrape_plugin* handle) {
  if (handle == nullptr) return;
  {
    MutexLock lock(&LiveMutex());
    if (LiveHandles().erase(handle) == 0) return;
  }
  try {
    handle->plugin->Stop().IgnoreError();
  } catch (...) {
    // Nothing may cross the C boundary; the handle is freed regardless.
  }
  delete handle;
}

}  // extern "C"
