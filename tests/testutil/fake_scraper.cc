#include "tests/testutil/fake_scraper.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace promscrape::testing {

void FakeScraper::SetReply(const std::string& url, Reply reply) {
  MutexLock lock(&mu_);
  replies_[url] = std::move(reply);
}

void FakeScraper::SetBody(const std::string& url, std::string body) {
  Reply reply;
  reply.body = std::move(body);
  SetReply(url, std::move(reply));
}

uint64_t FakeScraper::Start(http::Request request, DoneCallback done) {
  http::Response response;
  uint64_t id = 0;
  {
    MutexLock lock(&mu_);
    id = next_id_++;
    const absl::Time now = clock_.Now();
    seen_.push_back({request.url, now, request.timeout, request.headers});
    auto it = replies_.find(request.url);
    if (it != replies_.end() && it->second.hang) {
      absl::Time deadline = request.timeout > absl::ZeroDuration()
                                ? now + request.timeout
                                : absl::InfiniteFuture();
      pending_.emplace(id, Pending{std::move(request), std::move(done), deadline});
      return id;
    }
    response.id = id;
    response.body = std::move(request.buffer);
    response.body.clear();
    if (it == replies_.end()) {
      response.status = absl::UnavailableError(
          "server returned HTTP status 404 Not Found");
      response.status_code = 404;
    } else {
      const Reply& r = it->second;
      response.status = r.status;
      response.status_code = r.status.ok() ? 200 : 0;
      response.content_type = r.content_type;
      response.body = r.body;
      response.body_size_limit_exceeded = r.body_size_limit_exceeded;
    }
  }
  done(std::move(response));
  return id;
}

void FakeScraper::Cancel(uint64_t id) {
  Pending p;
  {
    MutexLock lock(&mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    p = std::move(it->second);
    pending_.erase(it);
  }
  http::Response response;
  response.id = id;
  response.status = absl::CancelledError(
      absl::StrCat("Get \"", p.request.url, "\": context canceled"));
  response.body = std::move(p.request.buffer);
  p.done(std::move(response));
}

int FakeScraper::ExpireDeadlines() {
  std::vector<std::pair<uint64_t, Pending>> expired;
  {
    MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now) {
        expired.emplace_back(it->first, std::move(it->second));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [id, p] : expired) {
    http::Response response;
    response.id = id;
    response.status = absl::DeadlineExceededError(
        absl::StrCat("Get \"", p.request.url, "\": context deadline exceeded"));
    response.body = std::move(p.request.buffer);
    p.done(std::move(response));
  }
  return static_cast<int>(expired.size());
}

absl::Time FakeScraper::NextDeadline() const {
  MutexLock lock(&mu_);
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [id, p] : pending_) next = std::min(next, p.deadline);
  return next;
}

std::vector<FakeScraper::Seen> FakeScraper::requests() const {
  MutexLock lock(&mu_);
  return seen_;
}

int FakeScraper::calls(const std::string& url) const {
  MutexLock lock(&mu_);
  int n = 0;
  for (const Seen& s : seen_) n += s.url == url ? 1 : 0;
  return n;
}

int FakeScraper::pending() const {
  MutexLock lock(&mu_);
  return static_cast<int>(pending_.size());
}

}  // namespace promscrape::testing
