/*
 * promscrape plugin C ABI.
 *
 * A host (any time-series database) dlopen()s libpromscrape.so and calls
 * these functions. No C++ type and no exception crosses this boundary.
 *
 * Ownership:
 *  - promscrape_start copies everything it needs from `config_yaml` and
 *    `host`; both may be freed when it returns. `host->log` and `host->user`
 *    must stay valid until promscrape_stop returns.
 *  - The returned handle belongs to the plugin; the host passes it to
 *    promscrape_stop exactly once (further calls are ignored).
 *
 *  - promscrape_check_config reads its arguments only during the call and
 *    writes only into the caller's `report` buffer and `*report_size`.
 *
 * Threading: every function may be called from any thread; `host->log` is
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
 * are ignored. With `cluster:`, the member first leaves the cluster and
 * scrapes until the remaining members are ready for its targets (at most two
 * of its longest scrape intervals plus a second, capped at a minute).
 */
void promscrape_stop(promscrape_plugin* plugin);

/* Verdicts of promscrape_check_config. */
#define PROMSCRAPE_CHECK_VALID 0   /* Valid; the report may hold warnings. */
#define PROMSCRAPE_CHECK_INVALID 1 /* Invalid; the report names each error. */
#define PROMSCRAPE_CHECK_ERROR (-1) /* No verdict: bad arguments or an
                                       internal error; the report says why. */

/*
 * Checks a Prometheus configuration (prometheus.yml) the way
 * `promtool check config` does, without starting anything: strict YAML and
 * validation of `global` and `scrape_configs` (the same loader as
 * scrape_config_file), then promtool's extra checks: explicitly named
 * rule_files exist, authorization credentials and TLS client cert/key files
 * exist, file_sd files parse, and every static and file_sd target can be
 * created. Missing file_sd files are warnings, as in promtool.
 *
 * Input: when `yaml` is NULL the config is read from the file `path`;
 * otherwise `yaml` is the config text (NUL-terminated) and `path`, which may
 * then be NULL, only names the file it came from: relative paths in the
 * config resolve against the directory of `path` (the working directory
 * when NULL), as they would for that file.
 *
 * Returns PROMSCRAPE_CHECK_VALID, PROMSCRAPE_CHECK_INVALID or
 * PROMSCRAPE_CHECK_ERROR (both `path` and `yaml` NULL, `report` NULL with a
 * non-zero `report_len`, or an internal error). The verdict never depends on
 * the size of the buffer.
 *
 * Report: text, one diagnostic per line, each "warning: <message>\n" or
 * "error: <message>\n"; warnings first, then errors. A valid config without
 * warnings gives an empty report. The first error is the one promtool
 * reports (for example `scrape_configs[0] job "node": scrape_timeout 20s
 * greater than scrape_interval 10s`); further errors come from later checks
 * that do not depend on it (other jobs, other rule files), which promtool
 * only shows once the first is fixed. A config that does not load has
 * exactly one error. Messages never contain a newline (any would be written
 * as a space).
 *
 * Buffer: like snprintf, writes at most `report_len` bytes into `report`,
 * always NUL-terminated when `report_len` > 0; a report that does not fit is
 * cut after `report_len` - 1 bytes, possibly inside a line. When
 * `report_size` is not NULL it receives the size the whole report needs,
 * terminating NUL included: the report was truncated exactly when
 * *report_size > report_len. To size a buffer, call with `report` NULL and
 * `report_len` 0, then again with *report_size bytes (each call checks the
 * files afresh). The caller owns `report`.
 *
 * Needs no promscrape_start and may run concurrently with running plugins.
 * Blocks while reading the config and the files it names. No exception
 * escapes. Added to ABI version 1 without a version change (a new function
 * breaks no existing host): a host that must also load older libraries
 * looks it up with dlsym() and treats NULL as "not supported".
 */
int promscrape_check_config(const char* path, const char* yaml, char* report,
                            size_t report_len, size_t* report_size);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* PLUGIN_API_PROMSCRAPE_H_ */
