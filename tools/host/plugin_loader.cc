#include "tools/host/plugin_loader.h"

#include <dlfcn.h>

#include <cstdio>

#include "absl/strings/str_cat.h"

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

}  // namespace

absl::StatusOr<std::unique_ptr<LoadedPlugin>> LoadedPlugin::Load(
    const std::string& path, const std::string& config_yaml) {
  // RTLD_LOCAL: the plugin's symbols never interpose on the host's.
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin \"", path, "\": dlopen: ", dlerror()));
  }
  auto version = reinterpret_cast<uint32_t (*)()>(
      dlsym(lib, "promscrape_abi_version"));
  auto start = reinterpret_cast<promscrape_plugin* (*)(
      const char*, const promscrape_host*, char*, size_t)>(
      dlsym(lib, "promscrape_start"));
  auto stop = reinterpret_cast<void (*)(promscrape_plugin*)>(
      dlsym(lib, "promscrape_stop"));
  if (version == nullptr || start == nullptr || stop == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plugin \"", path, "\": not a promscrape plugin (missing symbols)"));
  }
  if (version() != PROMSCRAPE_ABI_VERSION) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin \"", path, "\": ABI version ", version(),
                     ", host expects ", PROMSCRAPE_ABI_VERSION));
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
