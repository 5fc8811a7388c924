#include "plugin/discovery/dns_sd.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#include <sys/select.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/model/labels.h"

namespace promscrape::discovery {

struct DnsResolver::Impl {
  ares_channel channel = nullptr;
};

namespace {

struct Query {
  std::string name;
  std::string type;
  int port;
  DnsResolver::Callback done;
};

std::string HostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

std::string TrimDot(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// c-ares gives names without Go's trailing dot; Prometheus' labels carry
// the FQDN as Go's resolver returns it.
std::string Fqdn(const char* host) { return absl::StrCat(TrimDot(host), "."); }

model::Labels TargetLabels(const std::string& address, const std::string& name,
                           const std::string& srv_target,
                           const std::string& srv_port,
                           const std::string& mx_target,
                           const std::string& ns_target) {
  return model::Labels::FromUnsorted({
      {std::string(model::kAddressLabel), address},
      {kDnsNameLabel, name},
      {kDnsSrvTargetLabel, srv_target},
      {kDnsSrvPortLabel, srv_port},
      {kDnsMxTargetLabel, mx_target},
      {kDnsNsTargetLabel, ns_target},
  });
}

absl::StatusOr<TargetGroup> ParseAnswer(const Query& q,
                                        const unsigned char* abuf, int alen) {
  TargetGroup g;
  g.source = q.name;
  int rc = ARES_SUCCESS;
  if (q.type == "SRV") {
    ares_srv_reply* srv = nullptr;
    rc = ares_parse_srv_reply(abuf, alen, &srv);
    for (ares_srv_reply* r = srv; rc == ARES_SUCCESS && r != nullptr;
         r = r->next) {
      g.targets.push_back(TargetLabels(HostPort(TrimDot(r->host), r->port),
                                       q.name, Fqdn(r->host),
                                       absl::StrCat(r->port), "", ""));
    }
    if (srv != nullptr) ares_free_data(srv);
  } else if (q.type == "MX") {
    ares_mx_reply* mx = nullptr;
    rc = ares_parse_mx_reply(abuf, alen, &mx);
    for (ares_mx_reply* r = mx; rc == ARES_SUCCESS && r != nullptr;
         r = r->next) {
      g.targets.push_back(TargetLabels(HostPort(TrimDot(r->host), q.port),
                                       q.name, "", "", Fqdn(r->host), ""));
    }
    if (mx != nullptr) ares_free_data(mx);
  } else if (q.type == "NS") {
    hostent* host = nullptr;
    rc = ares_parse_ns_reply(abuf, alen, &host);
    if (rc == ARES_SUCCESS) {
      for (char** a = host->h_aliases; a != nullptr && *a != nullptr; ++a) {
        g.targets.push_back(TargetLabels(HostPort(TrimDot(*a), q.port), q.name,
                                         "", "", "", Fqdn(*a)));
      }
      ares_free_hostent(host);
    }
  } else if (q.type == "A") {
    ares_addrttl addrs[64];
    int n = 64;
    rc = ares_parse_a_reply(abuf, alen, nullptr, addrs, &n);
    for (int i = 0; rc == ARES_SUCCESS && i < n; ++i) {
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &addrs[i].ipaddr, text, sizeof text);
      g.targets.push_back(
          TargetLabels(HostPort(text, q.port), q.name, "", "", "", ""));
    }
  } else {  // AAAA
    ares_addr6ttl addrs[64];
    int n = 64;
    rc = ares_parse_aaaa_reply(abuf, alen, nullptr, addrs, &n);
    for (int i = 0; rc == ARES_SUCCESS && i < n; ++i) {
      char text[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, &addrs[i].ip6addr, text, sizeof text);
      g.targets.push_back(
          TargetLabels(HostPort(text, q.port), q.name, "", "", "", ""));
    }
  }
  if (rc == ARES_ENODATA) return absl::NotFoundError("no records");
  if (rc != ARES_SUCCESS) {
    return absl::UnavailableError(
        absl::StrCat("lookup ", q.name, ": ", ares_strerror(rc)));
  }
  return g;
}

void OnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
              int alen) {
  std::unique_ptr<Query> q(static_cast<Query*>(arg));
  // ARES_EDESTRUCTION: the resolver is going away; nobody listens.
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
    q->done(absl::NotFoundError(absl::StrCat("lookup ", q->name, " ",
                                             q->type, ": no such host")));
    return;
  }
  if (status != ARES_SUCCESS) {
    q->done(absl::UnavailableError(absl::StrCat(
        "lookup ", q->name, " ", q->type, ": ", ares_strerror(status))));
    return;
  }
  q->done(ParseAnswer(*q, abuf, alen));
}

int TypeCode(const std::string& type) {
  if (type == "A") return 1;
  if (type == "NS") return 2;
  if (type == "MX") return 15;
  if (type == "AAAA") return 28;
  return 33;  // SRV
}

}  // namespace

absl::StatusOr<std::unique_ptr<DnsResolver>> DnsResolver::Create(
    const std::string& servers) {
  static const int init = ares_library_init(ARES_LIB_INIT_ALL);
  if (init != ARES_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("c-ares: ", ares_strerror(init)));
  }
  auto impl = std::make_unique<Impl>();
  int rc = ares_init(&impl->channel);
  if (rc != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("c-ares: ", ares_strerror(rc)));
  }
  if (!servers.empty()) {
    rc = ares_set_servers_ports_csv(impl->channel, servers.c_str());
    if (rc != ARES_SUCCESS) {
      ares_destroy(impl->channel);
      return absl::InvalidArgumentError(
          absl::StrCat("c-ares servers \"", servers, "\": ",
                       ares_strerror(rc)));
    }
  }
  return std::unique_ptr<DnsResolver>(new DnsResolver(std::move(impl)));
}

DnsResolver::DnsResolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DnsResolver::~DnsResolver() { ares_destroy(impl_->channel); }

void DnsResolver::Lookup(const std::string& name, const std::string& type,
                         int port, Callback done) {
  auto* q = new Query{name, type, port, std::move(done)};
  ares_search(impl_->channel, TrimDot(name).c_str(), 1 /* C_IN */,
              TypeCode(type), OnAnswer, q);
}

void DnsResolver::Process() {
  fd_set read_fds;
  fd_set write_fds;
  FD_ZERO(&read_fds);
  FD_ZERO(&write_fds);
  const int nfds = ares_fds(impl_->channel, &read_fds, &write_fds);
  if (nfds > 0) {
    timeval zero = {0, 0};
    if (select(nfds, &read_fds, &write_fds, nullptr, &zero) < 0) {
      FD_ZERO(&read_fds);
      FD_ZERO(&write_fds);
    }
  }
  // Also advances timeouts when nothing is readable.
  ares_process(impl_->channel, &read_fds, &write_fds);
}

}  // namespace promscrape::discovery
