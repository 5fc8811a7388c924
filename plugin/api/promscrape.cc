// The C ABI of plugin/api/promscrape.h over api::Plugin.

#include "plugin/api/promscrape.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/api/plugin.h"
#include "plugin/checker/config_checker.h"
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

// One report line; a newline inside `message` would split the diagnostic.
void AppendLine(std::string& report, absl::string_view level,
                absl::string_view message) {
  const size_t start = report.size();
  absl::StrAppend(&report, level, ": ", message);
  for (size_t i = start; i < report.size(); ++i) {
    if (report[i] == '\n' || report[i] == '\r') report[i] = ' ';
  }
  report.push_back('\n');
}

// Copies `text` snprintf-style; see promscrape_check_config.
void WriteReport(absl::string_view text, char* report, size_t report_len,
                 size_t* report_size) {
  if (report_size != nullptr) *report_size = text.size() + 1;
  if (report == nullptr || report_len == 0) return;
  const size_t n = std::min(text.size(), report_len - 1);
  std::memcpy(report, text.data(), n);
  report[n] = '\0';
}

int CheckConfig(const char* path, const char* yaml, std::string& text) {
  if (path == nullptr && yaml == nullptr) {
    AppendLine(text, "error", "no config: path and yaml are both NULL");
    return PROMSCRAPE_CHECK_ERROR;
  }
  promscrape::checker::CheckResult result;
  if (yaml == nullptr) {
    result = promscrape::checker::CheckConfigFile(path);
  } else {
    absl::string_view base_dir;
    if (path != nullptr) {
      absl::string_view p(path);
      if (size_t slash = p.rfind('/'); slash != absl::string_view::npos) {
        base_dir = slash == 0 ? p.substr(0, 1) : p.substr(0, slash);
      }
    }
    result = promscrape::checker::CheckConfigText(yaml, base_dir);
  }
  for (const std::string& w : result.warnings) AppendLine(text, "warning", w);
  for (const absl::Status& e : result.errors) {
    AppendLine(text, "error", e.message());
  }
  return result.ok() ? PROMSCRAPE_CHECK_VALID : PROMSCRAPE_CHECK_INVALID;
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

int promscrape_check_config(const char* path, const char* yaml, char* report,
                            size_t report_len, size_t* report_size) {
  int verdict = PROMSCRAPE_CHECK_ERROR;
  std::string text;
  try {
    if (report == nullptr && report_len != 0) {
      AppendLine(text, "error", "report is NULL but report_len is not 0");
    } else {
      verdict = CheckConfig(path, yaml, text);
    }
  } catch (const std::exception& e) {
    verdict = PROMSCRAPE_CHECK_ERROR;
    text.clear();
    AppendLine(text, "error", std::string("internal error: ") + e.what());
  } catch (...) {
    verdict = PROMSCRAPE_CHECK_ERROR;
    text.clear();
    AppendLine(text, "error", "internal error: unknown exception");
  }
  WriteReport(text, report, report_len, report_size);
  return verdict;
}

}  // extern "C"
