#ifndef PLUGIN_DISCOVERY_DNS_SD_H_
#define PLUGIN_DISCOVERY_DNS_SD_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/discovery/target_group.h"

namespace promscrape::discovery {

// The labels Prometheus' DNS discovery puts on every target (each one on
// every target, empty where the record type has no such value).
inline constexpr char kDnsNameLabel[] = "__meta_dns_name";
inline constexpr char kDnsSrvTargetLabel[] = "__meta_dns_srv_record_target";
inline constexpr char kDnsSrvPortLabel[] = "__meta_dns_srv_record_port";
inline constexpr char kDnsMxTargetLabel[] = "__meta_dns_mx_record_target";
inline constexpr char kDnsNsTargetLabel[] = "__meta_dns_ns_record_target";

// Asynchronous DNS lookups through c-ares, without a thread: `Lookup`
// sends the query, `Process` (called periodically, e.g. by the discovery
// reloader) reads whatever answers arrived and runs their callbacks, on the
// caller's thread. Timeouts and retries are c-ares' own (5 s, 4 tries per
// server), advanced by `Process`.
//
// Thread-compatible: callers serialize every call (the discovery manager
// holds its mutex).
class DnsResolver {
 public:
  // Receives the group of one name: its targets with the `__meta_dns_*`
  // labels, source `name`. kNotFound for NXDOMAIN or no such record
  // (Prometheus then drops the name's targets); other errors (timeouts,
  // refused, bad answers) are kUnavailable.
  using Callback = std::function<void(absl::StatusOr<TargetGroup>)>;

  // `servers`: "" for the system's resolv.conf, else c-ares' CSV form
  // ("127.0.0.1:5353", for tests). kInternal if c-ares cannot start.
  static absl::StatusOr<std::unique_ptr<DnsResolver>> Create(
      const std::string& servers = "");
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;
  // Pending lookups are dropped: their callbacks never run.
  ~DnsResolver();

  // Looks `name` up (with the resolv.conf search list, as Go's resolver)
  // for `type` ("SRV", "A", "AAAA", "MX", "NS"); targets of A, AAAA, MX
  // and NS records get `port`, SRV targets their record's port.
  void Lookup(const std::string& name, const std::string& type, int port,
              Callback done);

  // Non-blocking: handles the answers and timeouts that are due.
  void Process();

  struct Impl;

 private:
  explicit DnsResolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace promscrape::discovery

#endif  // PLUGIN_DISCOVERY_DNS_SD_H_
