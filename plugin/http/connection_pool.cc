#include "plugin/http/connection_pool.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace promscrape::http::internal {

std::unique_ptr<Http1Connection> ConnectionPool::Take(absl::string_view key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end() || it->second.empty()) return nullptr;
  std::unique_ptr<Http1Connection> connection = std::move(it->second.back());
  it->second.pop_back();
  Unlink(connection.get());
  return connection;
}

std::unique_ptr<Http1Connection> ConnectionPool::Put(
    std::unique_ptr<Http1Connection> connection, SteadyTime now) {
  if (max_idle_ == 0) return connection;
  Http1Connection* raw = connection.get();
  raw->idle_since = now;
  raw->idle_older = newest_;
  raw->idle_newer = nullptr;
  if (newest_ != nullptr) newest_->idle_newer = raw;
  newest_ = raw;
  if (oldest_ == nullptr) oldest_ = raw;
  ++size_;
  by_key_[raw->key].push_back(std::move(connection));
  if (size_ > max_idle_) return Remove(oldest_);
  return nullptr;
}

std::unique_ptr<Http1Connection> ConnectionPool::Remove(
    Http1Connection* connection) {
  auto it = by_key_.find(connection->key);
  if (it == by_key_.end()) return nullptr;
  std::vector<std::unique_ptr<Http1Connection>>& idle = it->second;
  for (size_t i = 0; i < idle.size(); ++i) {
    if (idle[i].get() != connection) continue;
    std::unique_ptr<Http1Connection> taken = std::move(idle[i]);
    idle.erase(idle.begin() + static_cast<ptrdiff_t>(i));
    Unlink(connection);
    return taken;
  }
  return nullptr;
}

std::unique_ptr<Http1Connection> ConnectionPool::PopExpired(SteadyTime now) {
  if (oldest_ == nullptr || oldest_->idle_since + idle_timeout_ > now) {
    return nullptr;
  }
  return Remove(oldest_);
}

std::optional<SteadyTime> ConnectionPool::NextExpiry() const {
  if (oldest_ == nullptr) return std::nullopt;
  return oldest_->idle_since + idle_timeout_;
}

void ConnectionPool::Unlink(Http1Connection* connection) {
  if (connection->idle_older != nullptr) {
    connection->idle_older->idle_newer = connection->idle_newer;
  } else {
    oldest_ = connection->idle_newer;
  }
  if (connection->idle_newer != nullptr) {
    connection->idle_newer->idle_older = connection->idle_older;
  } else {
    newest_ = connection->idle_older;
  }
  connection->idle_older = connection->idle_newer = nullptr;
  --size_;
}

}  // namespace promscrape::http::internal
