#ifndef PLUGIN_HTTP_CONNECTION_POOL_H_
#define PLUGIN_HTTP_CONNECTION_POOL_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "plugin/http/http1_connection.h"

namespace promscrape::http::internal {

// The idle keep-alive connections of one event loop, by target
// ("address:port"), like the idle half of Go's http.Transport: a request
// takes the most recently used connection to its target; a connection idle
// for `idle_timeout` (Go's IdleConnTimeout) expires; beyond `max_idle` the
// least recently used one is evicted. Every operation is O(1) except
// `Remove`, which is linear in the idle connections to that one target.
//
// Owns the idle connections (destroying one closes it). Thread-compatible:
// the loop thread only.
class ConnectionPool {
 public:
  ConnectionPool(size_t max_idle, std::chrono::steady_clock::duration idle_timeout)
      : max_idle_(max_idle), idle_timeout_(idle_timeout) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Takes the most recently idled connection to `key`, or null.
  std::unique_ptr<Http1Connection> Take(absl::string_view key);

  // Keeps `connection` idle since `now`. Returns the connection evicted to
  // stay within `max_idle` (the least recently used, possibly `connection`
  // itself when `max_idle` is 0), or null.
  std::unique_ptr<Http1Connection> Put(
      std::unique_ptr<Http1Connection> connection, SteadyTime now);

  // Takes `connection`, which must be idle in this pool.
  std::unique_ptr<Http1Connection> Remove(Http1Connection* connection);

  // Takes one connection idle since `now - idle_timeout` or earlier, or
  // null when none is.
  std::unique_ptr<Http1Connection> PopExpired(SteadyTime now);

  // When the oldest idle connection expires; nullopt when none is idle.
  std::optional<SteadyTime> NextExpiry() const;

  size_t size() const { return size_; }

 private:
  void Unlink(Http1Connection* connection);

  const size_t max_idle_;
  const std::chrono::steady_clock::duration idle_timeout_;
  // Per target, the idle connections, most recently idled last. Entries of
  // targets with no idle connection stay (one per target ever scraped) so
  // the steady state allocates nothing.
  absl::flat_hash_map<std::string, std::vector<std::unique_ptr<Http1Connection>>>
      by_key_;
  // All idle connections, least recently idled first.
  Http1Connection* oldest_ = nullptr;
  Http1Connection* newest_ = nullptr;
  size_t size_ = 0;
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_CONNECTION_POOL_H_
