// scrape_host: the reference host for the promscrape plugin. It stands in
// for the time-series database that loads the plugin: it serves the
// RemoteWrite stream, appends every received sample to storage.file as a
// JSON line (and optionally forwards it to a remote-write receiver),
// and loads the plugins named in its config through the C ABI.
//
//   scrape_host --config host.yaml
//
// SIGINT or SIGTERM stops the plugins (which flush to the host), then the
// host; the exit status is 0.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "tools/host/forwarder_options.h"
#include "tools/host/host_config.h"
#include "tools/host/plugin_loader.h"
#include "tools/host/remote_write_forwarder.h"
#include "tools/host/remote_write_service.h"
#include "tools/host/sample_file.h"

namespace promscrape::host {
namespace {

constexpr char kUsage[] =
    "usage: scrape_host --config host.yaml\n"
    "       scrape_host [--plugin libpromscrape.so] --check-config "
    "prometheus.yml...\n"
    "           checks like `promtool check config`, through the plugin's\n"
    "           promscrape_check_config; --plugin defaults to\n"
    "           ../../plugin/libpromscrape.so from this binary (bazel-bin),\n"
    "           then libpromscrape.so next to it\n"
    "\n"
    "host.yaml keys:\n"
    "  listen: 127.0.0.1:9902          RemoteWrite address served to plugins\n"
    "  storage:\n"
    "    file: samples.jsonl           every sample, one JSON object a line\n"
    "    fsync: false                  fsync before acknowledging\n"
    "    remote_write_url: http://...  also forward to a remote-write receiver\n"
    "    remote_write_protocol: \"1.0\"   or \"2.0\"; more remote_write_* keys\n"
    "                                  in README.md\n"
    "  plugins:\n"
    "    - path: libpromscrape.so\n"
    "      config: {...}               the plugin config (YAML)\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "scrape_host: %s\n", message.c_str());
  return 1;
}

// `promtool check config` through the plugin's C ABI: SUCCESS or every
// error per file; non-zero on error. `plugin_path` "" means the default.
int CheckConfigs(std::string plugin_path,
                 const std::vector<std::string>& paths) {
  if (plugin_path.empty()) {
    absl::StatusOr<std::string> found = FindDefaultPlugin();
    if (!found.ok()) return Fail(std::string(found.status().message()));
    plugin_path = *std::move(found);
  }
  int failed = 0;
  for (const std::string& path : paths) {
    absl::StatusOr<ConfigCheckReport> report =
        CheckConfigWithPlugin(plugin_path, path);
    if (!report.ok()) return Fail(std::string(report.status().message()));
    std::printf("Checking %s\n", path.c_str());
    for (const std::string& w : report->warnings) {
      std::printf("  WARNING: %s\n", w.c_str());
    }
    if (report->valid) {
      std::printf(" SUCCESS: %s is valid prometheus config file syntax\n",
                  path.c_str());
      continue;
    }
    for (size_t e = 0; e < report->errors.size(); ++e) {
      std::printf("%s%s\n", e == 0 ? "  FAILED: " : "          ",
                  report->errors[e].c_str());
    }
    ++failed;
  }
  return failed == 0 ? 0 : 1;
}

int Run(const std::string& config_path) {
  // Block the stop signals before any thread starts so every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<HostConfig> config = LoadHostConfig(config_path);
  if (!config.ok()) return Fail(std::string(config.status().message()));

  absl::StatusOr<std::unique_ptr<SampleFile>> file =
      SampleFile::Open(config->storage_file, config->storage_fsync);
  if (!file.ok()) return Fail(std::string(file.status().message()));
  std::unique_ptr<RemoteWriteForwarder> forwarder;
  if (!config->remote_write.url.empty()) {
    absl::StatusOr<std::unique_ptr<RemoteWriteForwarder>> f =
        RemoteWriteForwarder::Create(config->remote_write);
    if (!f.ok()) return Fail(std::string(f.status().message()));
    forwarder = std::move(f).value();
    std::fprintf(stderr,
                 "scrape_host: forwarding to %s (remote write %s)\n",
                 config->remote_write.url.c_str(),
                 config->remote_write.protocol == RemoteWriteProtocol::kV2
                     ? "2.0"
                     : "1.0");
  }

  RemoteWriteService service(**file, forwarder.get());
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default; a second host must not share the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort(config->listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(64 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::StrCat("listen: cannot listen on \"", config->listen,
                             "\""));
  }
  const std::string address = absl::StrCat(
      config->listen.substr(0, config->listen.rfind(':')), ":", port);
  std::fprintf(stderr, "scrape_host: RemoteWrite listening on %s\n",
               address.c_str());

  std::vector<std::unique_ptr<LoadedPlugin>> plugins;
  for (const PluginEntry& entry : config->plugins) {
    absl::StatusOr<std::unique_ptr<LoadedPlugin>> plugin = LoadedPlugin::Load(
        entry.path, WithDefaultRemoteWriteTarget(entry.config_yaml, address));
    if (!plugin.ok()) {
      for (auto& p : plugins) p->Stop();
      server->Shutdown(std::chrono::system_clock::now());
      return Fail(std::string(plugin.status().message()));
    }
    std::fprintf(stderr, "scrape_host: loaded plugin %s\n", entry.path.c_str());
    plugins.push_back(std::move(plugin).value());
  }
  std::fprintf(stderr,
               "scrape_host: storing samples in %s (one JSON object per "
               "line); stop with Ctrl-C or SIGTERM\n",
               config->storage_file.c_str());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "scrape_host: %s received, stopping\n",
               strsignal(signal_number));
  // Plugins first: they flush their queues into this host's storage.
  for (auto& plugin : plugins) plugin->Stop();
  // A forward still backing off gives up now (the plugin resends from its
  // write-ahead log next time) rather than holding the shutdown.
  if (forwarder != nullptr) forwarder->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  std::fprintf(stderr,
               "scrape_host: stopped; %lld samples stored, %lld resent "
               "requests acknowledged without storing\n",
               static_cast<long long>((*file)->samples_written()),
               static_cast<long long>(service.duplicates()));
  if (forwarder != nullptr && forwarder->dropped_requests() > 0) {
    std::fprintf(stderr,
                 "scrape_host: the receiver rejected %lld requests (%lld "
                 "samples)\n",
                 static_cast<long long>(forwarder->dropped_requests()),
                 static_cast<long long>(forwarder->dropped_samples()));
  }
  return 0;
}

}  // namespace
}  // namespace promscrape::host

int main(int argc, char** argv) {
  std::string config_path;
  std::string plugin_path;
  bool check_config = false;
  std::vector<std::string> check_paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--plugin" && i + 1 < argc) {
      plugin_path = argv[++i];
    } else if (arg.rfind("--plugin=", 0) == 0) {
      plugin_path = arg.substr(std::strlen("--plugin="));
    } else if (arg == "--check-config") {
      check_config = true;
    } else if (check_config) {
      // Everything after --check-config but --plugin is a file to check.
      check_paths.push_back(arg);
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(std::strlen("--config="));
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(promscrape::host::kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "scrape_host: unknown argument \"%s\"\n%s",
                   arg.c_str(), promscrape::host::kUsage);
      return 2;
    }
  }
  if (check_config) {
    if (check_paths.empty()) {
      std::fputs(promscrape::host::kUsage, stderr);
      return 2;
    }
    return promscrape::host::CheckConfigs(plugin_path, check_paths);
  }
  if (config_path.empty() || !plugin_path.empty()) {
    // --plugin is for --check-config; --config names its plugins itself.
    std::fputs(promscrape::host::kUsage, stderr);
    return 2;
  }
  return promscrape::host::Run(config_path);
}
