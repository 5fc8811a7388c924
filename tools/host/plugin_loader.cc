#include "tools/host/plugin_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace promscrape::host {
namespace {

const char* LevelName(int level) {
  switch (level) {
    case PROMSCRAPE_LOG_DEBUG:
      return "debug";
    case PROMSCRAPE_LOG_WARN:
      return "warn";
    case PROMSCRAPE_LOG_ERROR:
      return "error";
    default:
      return "info";
  }
}

void LogToStderr(void* user, int level, const char* message) {
  const auto* path = static_cast<const std::string*>(user);
  std::fprintf(stderr, "plugin %s: %s: %s\n", path->c_str(), LevelName(level),
               message);
}

// dlopen()s the plugin at `path` and checks its ABI version. The handle is
// never dlclose()d (see promscrape.h).
absl::StatusOr<void*> OpenPlugin(const std::string& path) {
  // RTLD_LOCAL: the plugin's symbols never interpose on the host's.
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin \"", path, "\": dlopen: ", dlerror()));
  }
  auto version = reinterpret_cast<uint32_t (*)()>(
      dlsym(lib, "promscrape_abi_version"));
  if (version == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plugin \"", path, "\": not a promscrape plugin (missing symbols)"));
  }
  if (version() != PROMSCRAPE_ABI_VERSION) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin \"", path, "\": ABI version ", version(),
                     ", host expects ", PROMSCRAPE_ABI_VERSION));
  }
  return lib;
}

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::vector<std::string> DefaultPluginPaths() {
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return {};
  std::string dir(exe, n);
  dir.resize(dir.rfind('/'));
  return {absl::StrCat(dir, "/../../plugin/libpromscrape.so"),
          absl::StrCat(dir, "/libpromscrape.so")};
}

absl::StatusOr<std::string> FindDefaultPlugin() {
  std::vector<std::string> tried = DefaultPluginPaths();
  for (const std::string& path : tried) {
    if (IsFile(path)) return path;
  }
  if (tried.empty()) {
    return absl::NotFoundError(
        "no libpromscrape.so: cannot read /proc/self/exe; pass --plugin PATH");
  }
  return absl::NotFoundError(absl::StrCat("no libpromscrape.so at \"",
                                          absl::StrJoin(tried, "\" or \""),
                                          "\"; pass --plugin PATH"));
}

absl::StatusOr<ConfigCheckReport> CheckConfigWithPlugin(
    const std::string& plugin_path, const std::string& config_path) {
  absl::StatusOr<void*> lib = OpenPlugin(plugin_path);
  if (!lib.ok()) return lib.status();
  using CheckFn = int (*)(const char*, const char*, char*, size_t, size_t*);
  auto check =
      reinterpret_cast<CheckFn>(dlsym(*lib, "promscrape_check_config"));
  if (check == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin \"", plugin_path,
                     "\": no promscrape_check_config (a plugin older than "
                     "this host)"));
  }
  // One call usually suffices; a longer report is fetched again at its size.
  std::string report(4096, '\0');
  size_t size = 0;
  int verdict =
      check(config_path.c_str(), nullptr, report.data(), report.size(), &size);
  if (size > report.size()) {
    report.assign(size, '\0');
    verdict = check(config_path.c_str(), nullptr, report.data(), report.size(),
                    &size);
  }
  report.resize(std::strlen(report.c_str()));
  if (verdict != PROMSCRAPE_CHECK_VALID &&
      verdict != PROMSCRAPE_CHECK_INVALID) {
    return absl::InternalError(
        absl::StrCat("plugin \"", plugin_path, "\": check failed: ", report));
  }
  ConfigCheckReport result;
  result.valid = verdict == PROMSCRAPE_CHECK_VALID;
  for (absl::string_view line :
       absl::StrSplit(report, '\n', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, "warning: ")) {
      result.warnings.emplace_back(line);
    } else {
      absl::ConsumePrefix(&line, "error: ");
      result.errors.emplace_back(line);
    }
  }
  return result;
}

absl::StatusOr<std::unique_ptr<LoadedPlugin>> LoadedPlugin::Load(
    const std::string& path, const std::string& config_yaml) {
  absl::StatusOr<void*> opened = OpenPlugin(path);
  if (!opened.ok()) return opened.status();
  void* lib = *opened;
  auto start = reinterpret_cast<promscrape_plugin* (*)(const char*,
                                                       const promscrape_host*,
                                                       char*, size_t)>(
      dlsym(lib, "promscrape_start"));
  auto stop = reinterpret_cast<void (*)(promscrape_plugin*)>(
      dlsym(lib, "promscrape_stop"));
  if (start == nullptr || stop == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plugin \"", path, "\": not a promscrape plugin (missing symbols)"));
  }
  // The log callback's user pointer: the plugin path, kept by `host`.
  static_assert(sizeof(std::string*) == sizeof(void*));
  auto host = std::make_unique<promscrape_host>();
  auto* name = new std::string(path);
  host->abi_version = PROMSCRAPE_ABI_VERSION;
  host->user = name;
  host->log = &LogToStderr;
  char err[1024] = {0};
  promscrape_plugin* handle =
      start(config_yaml.c_str(), host.get(), err, sizeof err);
  if (handle == nullptr) {
    delete name;
    return absl::InvalidArgumentError(
        absl::StrCat("plugin \"", path, "\": ", err));
  }
  return std::unique_ptr<LoadedPlugin>(
      new LoadedPlugin(path, stop, handle, std::move(host)));
}

void LoadedPlugin::Stop() {
  if (handle_ == nullptr) return;
  stop_(handle_);
  handle_ = nullptr;
  delete static_cast<std::string*>(host_->user);
  host_->user = nullptr;
}

}  // namespace promscrape::host
