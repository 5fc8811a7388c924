/*
 * promscrape plugin C ABI.
 *
 * A host (any time-series database) dlopen()s libpromscrape.so and calls
 * these three functions. No C++ type and no exception crosses this boundary.
 *
 * Ownership:
 *  - promscrape_start copies everything it needs from `config_yaml` and
 *    `host`; both may be freed when it returns. `host->log` and `host->user`
 *    must stay valid until promscrape_stop returns.
 *  - The returned handle belongs to the plugin; the host passes it to
 *    promscrape_stop exactly once (further calls are ignored).
 *
 * Threading: start and stop may be called from any thread; `host->log` is
 * called from the plugin's threads, possibly concurrently.
 *
 * Do not dlclose() the library: it registers protobuf descriptors and gRPC
 * plugins that live as long as the process.
 */
#ifndef PLUGIN_API_PROMSCRAPE_H_
#define PLUGIN_API_PROMSCRAPE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to this header. */
#define PROMSCRAPE_ABI_VERSION 1u

/* Log levels passed to promscrape_host.log. */
#define PROMSCRAPE_LOG_DEBUG 0
#define PROMSCRAPE_LOG_INFO 1
#define PROMSCRAPE_LOG_WARN 2
#define PROMSCRAPE_LOG_ERROR 3

/* What the host gives the plugin. Zero-initialise, then fill in. */
typedef struct promscrape_host {
  /* PROMSCRAPE_ABI_VERSION as the host was compiled; start refuses others. */
  uint32_t abi_version;
  /* Passed back as the first argument of every callback. */
  void* user;
  /* Receives the plugin's log lines (NUL-terminated, no trailing newline).
   * May be NULL: the plugin then logs to stderr. */
  void (*log)(void* user, int level, const char* message);
} promscrape_host;

/* Opaque handle to a running plugin. */
typedef struct promscrape_plugin promscrape_plugin;

/* Returns PROMSCRAPE_ABI_VERSION of the library. */
uint32_t promscrape_abi_version(void);

/*
 * Parses `config_yaml` (the plugin config: control_listen, remote_write,
 * scrape_config_file, ...), starts the control service, the remote-write
 * queue and the scrape engine, and returns a handle. On error returns NULL
 * and writes a NUL-terminated message naming what was wrong (for example
 * `unknown key "contrl_listen"`) into `err` (at most `err_len` bytes,
 * truncated; `err` may be NULL). `host` may be NULL.
 */
promscrape_plugin* promscrape_start(const char* config_yaml,
                                    const promscrape_host* host, char* err,
                                    size_t err_len);

/*
 * Stops scraping, flushes queued samples to the host (waiting at most
 * remote_write.flush_timeout), stops the control service, joins every thread
 * the plugin started and frees the handle. NULL and handles already stopped
 * are ignored.
 */
void promscrape_stop(promscrape_plugin* plugin);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* PLUGIN_API_PROMSCRAPE_H_ */
