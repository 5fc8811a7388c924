#include "plugin/cluster/etcd_client.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace promscrape::cluster {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot read \"", path, "\""));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The end of the range of keys starting with `prefix` (etcd's
// clientv3.GetPrefixRangeEnd).
std::string PrefixEnd(std::string prefix) {
  for (size_t i = prefix.size(); i > 0; --i) {
    if (static_cast<unsigned char>(prefix[i - 1]) < 0xff) {
      prefix[i - 1] = static_cast<char>(prefix[i - 1] + 1);
      prefix.resize(i);
      return prefix;
    }
  }
  return std::string(1, '\0');
}

bool IsTransportError(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(
    Options options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("no etcd endpoints");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      auto ca = ReadFile(options.ca_file, "ca_file");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!options.cert_file.empty()) {
      auto cert = ReadFile(options.cert_file, "cert_file");
      if (!cert.ok()) return cert.status();
      auto key = ReadFile(options.key_file, "key_file");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  return std::unique_ptr<EtcdClient>(
      new EtcdClient(std::move(options), std::move(creds)));
}

EtcdClient::EtcdClient(Options options,
                       std::shared_ptr<grpc::ChannelCredentials> creds)
    : options_(std::move(options)), creds_(std::move(creds)) {
  Connect();
}

void EtcdClient::Connect() {
  grpc::ChannelArguments args;
  // A restarted etcd is found again within a second, not after gRPC's
  // default backoff of up to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  channel_ = grpc::CreateCustomChannel(options_.endpoints[current_], creds_,
                                       args);
  kv_ = etcdserverpb::KV::NewStub(channel_);
  lease_ = etcdserverpb::Lease::NewStub(channel_);
  auth_ = etcdserverpb::Auth::NewStub(channel_);
  watch_ = etcdserverpb::Watch::NewStub(channel_);
  token_.clear();
}

absl::Status EtcdClient::Authenticate() {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
  etcdserverpb::AuthenticateRequest request;
  request.set_name(options_.username);
  request.set_password(options_.password);
  etcdserverpb::AuthenticateResponse response;
  absl::Status status =
      FromGrpc(auth_->Authenticate(&context, request, &response));
  if (!status.ok()) return status;
  token_ = response.token();
  return absl::OkStatus();
}

template <typename Call>
absl::Status EtcdClient::Invoke(Call call) {
  absl::Status status;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!options_.username.empty() && token_.empty()) {
      status = Authenticate();
    }
    if (status.ok()) {
      grpc::ClientContext context;
      context.set_deadline(
          absl::ToChronoTime(absl::Now() + options_.call_timeout));
      if (!token_.empty()) context.AddMetadata("token", token_);
      status = FromGrpc(call(context));
    }
    if (status.ok()) return status;
    if (absl::IsUnauthenticated(status) && !options_.username.empty()) {
      token_.clear();  // expired token: authenticate and try once more
      continue;
    }
    break;
  }
  if (IsTransportError(status) && options_.endpoints.size() > 1) {
    current_ = (current_ + 1) % options_.endpoints.size();
    Connect();
  }
  return absl::Status(status.code(),
                      absl::StrCat("etcd ", options_.endpoints[current_], ": ",
                                   status.message()));
}

absl::StatusOr<int64_t> EtcdClient::LeaseGrant(absl::Duration ttl) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(absl::ToInt64Seconds(ttl));
  etcdserverpb::LeaseGrantResponse response;
  absl::Status status = Invoke([&](grpc::ClientContext& context) {
    return lease_->LeaseGrant(&context, request, &response);
  });
  if (!status.ok()) return status;
  if (!response.error().empty()) {
    return absl::UnavailableError(
        absl::StrCat("etcd lease grant: ", response.error()));
  }
  return response.id();
}

absl::StatusOr<int64_t> EtcdClient::LeaseKeepAlive(int64_t id) {
  etcdserverpb::LeaseKeepAliveResponse response;
  bool got = false;
  absl::Status status = Invoke([&](grpc::ClientContext& context) {
    // NOTE: etcd only has the streaming call; one request and one answer
    // per stream keeps this client synchronous.
    auto stream = lease_->LeaseKeepAlive(&context);
    etcdserverpb::LeaseKeepAliveRequest request;
    request.set_id(id);
    if (stream->Write(request)) got = stream->Read(&response);
    stream->WritesDone();
    if (got) context.TryCancel();
    grpc::Status s = stream->Finish();
    if (got) return grpc::Status::OK;
    if (s.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                    "keep-alive stream ended");
    return s;
  });
  if (!status.ok()) return status;
  if (response.ttl() <= 0) {
    return absl::NotFoundError(absl::StrCat("etcd lease ", id, " expired"));
  }
  return response.ttl();
}

absl::Status EtcdClient::LeaseRevoke(int64_t id) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  etcdserverpb::LeaseRevokeResponse response;
  return Invoke([&](grpc::ClientContext& context) {
    return lease_->LeaseRevoke(&context, request, &response);
  });
}

absl::Status EtcdClient::Put(const std::string& key, const std::string& value,
                             int64_t lease) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  return Invoke([&](grpc::ClientContext& context) {
    return kv_->Put(&context, request, &response);
  });
}

absl::StatusOr<std::vector<EtcdClient::KeyValue>> EtcdClient::RangePrefix(
    const std::string& prefix, int64_t* revision) {
  etcdserverpb::RangeRequest request;
  request.set_key(prefix);
  request.set_range_end(PrefixEnd(prefix));
  etcdserverpb::RangeResponse response;
  absl::Status status = Invoke([&](grpc::ClientContext& context) {
    return kv_->Range(&context, request, &response);
  });
  if (!status.ok()) return status;
  if (revision != nullptr) *revision = response.header().revision();
  std::vector<KeyValue> out;
  out.reserve(static_cast<size_t>(response.kvs_size()));
  for (const auto& kv : response.kvs()) {
    out.push_back({.key = kv.key(),
                   .value = kv.value(),
                   .create_revision = kv.create_revision()});
  }
  return out;
}

std::unique_ptr<EtcdClient> EtcdClient::Clone() const {
  return std::unique_ptr<EtcdClient>(new EtcdClient(options_, creds_));
}

void EtcdClient::CancelWatch() {
  MutexLock lock(&watch_mu_);
  watch_cancelled_ = true;
  if (watch_context_ != nullptr) watch_context_->TryCancel();
}

absl::Status EtcdClient::WatchPrefix(const std::string& prefix,
                                     int64_t start_revision,
                                     const WatchFn& on_events) {
  if (!options_.username.empty() && token_.empty()) {
    absl::Status status = Authenticate();
    if (!status.ok()) {
      if (IsTransportError(status) && options_.endpoints.size() > 1) {
        current_ = (current_ + 1) % options_.endpoints.size();
        Connect();
      }
      return status;
    }
  }
  grpc::ClientContext context;
  if (!token_.empty()) context.AddMetadata("token", token_);
  {
    MutexLock lock(&watch_mu_);
    if (watch_cancelled_) return absl::CancelledError("watch cancelled");
    watch_context_ = &context;
  }
  auto stream = watch_->Watch(&context);
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  create->set_key(prefix);
  create->set_range_end(PrefixEnd(prefix));
  create->set_start_revision(start_revision);
  absl::Status status;
  if (!stream->Write(request)) {
    status = absl::UnavailableError("watch stream closed at create");
  }
  etcdserverpb::WatchResponse response;
  std::vector<WatchEvent> events;
  while (status.ok() && stream->Read(&response)) {
    if (response.compact_revision() != 0) {
      status = absl::OutOfRangeError(
          absl::StrCat("watch revision ", start_revision,
                       " compacted (at ", response.compact_revision(), ")"));
      break;
    }
    if (response.canceled()) {
      status = absl::UnavailableError(
          absl::StrCat("watch cancelled by etcd: ", response.cancel_reason()));
      break;
    }
    events.clear();
    for (const etcdserverpb::Event& e : response.events()) {
      events.push_back({.put = e.type() == etcdserverpb::Event::PUT,
                        .key = e.kv().key(),
                        .value = e.kv().value(),
                        .revision = e.kv().mod_revision()});
    }
    if (!events.empty()) on_events(events);
  }
  bool cancelled;
  {
    MutexLock lock(&watch_mu_);
    watch_context_ = nullptr;
    cancelled = watch_cancelled_;
  }
  // NOTE: Finish() would wait for the server to close its half; cancel
  // first so it returns at once.
  context.TryCancel();
  absl::Status finish = FromGrpc(stream->Finish());
  if (cancelled) return absl::CancelledError("watch cancelled");
  if (status.ok()) {
    // NOTE: after our TryCancel, a stream that broke (etcd killed) may
    // finish as CANCELLED; only CancelWatch() is a cancellation, or the
    // watch thread would end and the member set freeze.
    status = finish.ok() || absl::IsCancelled(finish)
                 ? absl::UnavailableError(absl::StrCat(
                       "watch stream ended: ", finish.ToString()))
                 : finish;
  }
  if (absl::IsUnauthenticated(status)) token_.clear();
  if (IsTransportError(status) && options_.endpoints.size() > 1) {
    current_ = (current_ + 1) % options_.endpoints.size();
    Connect();
  }
  return absl::Status(status.code(),
                      absl::StrCat("etcd ", options_.endpoints[current_],
                                   ": ", status.message()));
}

}  // namespace promscrape::cluster
