// remote_sink: the discarding receiver of remote_bench, in its own process so
// the sender's CPU accounting holds only the sender. It serves
//   * promscrape.v1.RemoteWrite/Write and /WriteV2 (gRPC, the plugin's
//     stream in either shape): reads each request as raw bytes, finds its
//     `sequence` field without decoding the series, acks it at once and
//     drops it;
//   * POST <any path> (HTTP/1.1, Prometheus remote write 1.0, as Prometheus
//     and vmagent send it): answers 204 and drops the body; with
//     --count_http_samples it first snappy-decodes the body and counts the
//     samples of its series (compare needs delivered samples per system).
// It never decodes the gRPC stream's series, so its own cost stays small
// next to the senders' (it shares the machine with them).
//
//   remote_sink [--grpc_port 0] [--count_http_samples]
//
// Prints "remote_sink: ready grpc=127.0.0.1:<p> http=127.0.0.1:<q>" to
// stderr when both listen. On SIGUSR1 it prints the counts so far, on
// SIGTERM/SIGINT the final counts, and exits 0:
//   remote_sink: stats grpc_requests=<n> grpc_samples=<n> grpc_bytes=<n>
//                http_requests=<n> http_bytes=<n> http_samples=<n>
//                (one line; http_samples stays 0 without --count_http_samples)
// grpc_samples counts `timeseries` records (WriteRequest field 1,
// WriteRequestV2 field 5; the plugin writes one sample per record).

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/support/method_handler.h"
#include "proto/remote/v1/remote.grpc.pb.h"
#include "snappy.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::bench {
namespace {

struct Counts {
  std::atomic<int64_t> grpc_requests{0};
  std::atomic<int64_t> grpc_samples{0};
  std::atomic<int64_t> grpc_bytes{0};
  std::atomic<int64_t> http_requests{0};
  std::atomic<int64_t> http_bytes{0};
  std::atomic<int64_t> http_samples{0};
};

// Reads a base-128 varint at `*pos`; false when truncated.
bool ReadVarint(absl::string_view bytes, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && *pos < bytes.size(); shift += 7) {
    const uint8_t b = static_cast<uint8_t>(bytes[(*pos)++]);
    *value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Walks the top-level fields of a WriteRequest or WriteRequestV2: returns
// its `sequence` (0 when absent or malformed) and counts `timeseries`
// records in `*records`.
uint64_t ScanRequest(absl::string_view bytes, int64_t* records) {
  constexpr uint64_t kTimeseries = 1, kTimeseriesV2 = 5, kSequence = 100;
  uint64_t sequence = 0;
  size_t pos = 0;
  while (pos < bytes.size()) {
    uint64_t tag = 0, value = 0;
    if (!ReadVarint(bytes, &pos, &tag)) return 0;
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(bytes, &pos, &value)) return 0;
        if ((tag >> 3) == kSequence) sequence = value;
        break;
      case 1:
        pos += 8;
        break;
      case 2:
        if (!ReadVarint(bytes, &pos, &value) || value > bytes.size() - pos) {
          return 0;
        }
        pos += value;
        if ((tag >> 3) == kTimeseries || (tag >> 3) == kTimeseriesV2) {
          ++*records;
        }
        break;
      case 5:
        pos += 4;
        break;
      default:
        return 0;
    }
  }
  return pos == bytes.size() ? sequence : 0;
}

// Calls `fn(field_number, bytes)` for each length-delimited top-level field
// of the protobuf message `bytes`; false when it is malformed.
template <typename Fn>
bool ForEachBytesField(absl::string_view bytes, Fn fn) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    uint64_t tag = 0, value = 0;
    if (!ReadVarint(bytes, &pos, &tag)) return false;
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(bytes, &pos, &value)) return false;
        break;
      case 1:
        pos += 8;
        break;
      case 2:
        if (!ReadVarint(bytes, &pos, &value) || value > bytes.size() - pos) {
          return false;
        }
        fn(tag >> 3, bytes.substr(pos, value));
        pos += value;
        break;
      case 5:
        pos += 4;
        break;
      default:
        return false;
    }
  }
  return pos == bytes.size();
}

// The samples of a snappy-compressed prometheus.WriteRequest (remote write
// 1.0): `samples` (field 2) of every `timeseries` (field 1); 0 when the body
// does not decode.
int64_t CountRemoteWriteSamples(const std::string& body) {
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) return 0;
  int64_t samples = 0;
  ForEachBytesField(raw, [&samples](uint64_t field, absl::string_view series) {
    if (field != 1) return;
    ForEachBytesField(series, [&samples](uint64_t f, absl::string_view) {
      if (f == 2) ++samples;
    });
  });
  return samples;
}

// RemoteWrite with the request as raw bytes: a generated service would
// decode every series, which is the host's storage cost, not the stream's.
// Thread-safe; one synchronous handler per stream.
class DiscardingRemoteWrite final : public grpc::Service {
 public:
  explicit DiscardingRemoteWrite(Counts& counts) : counts_(counts) {
    for (const char* method : {"/promscrape.v1.RemoteWrite/Write",
                               "/promscrape.v1.RemoteWrite/WriteV2"}) {
      AddMethod(new grpc::internal::RpcServiceMethod(
          method, grpc::internal::RpcMethod::BIDI_STREAMING,
          new grpc::internal::BidiStreamingHandler<
              DiscardingRemoteWrite, grpc::ByteBuffer, v1::WriteAck>(
              [](DiscardingRemoteWrite* service, grpc::ServerContext*,
                 grpc::ServerReaderWriter<v1::WriteAck, grpc::ByteBuffer>*
                     stream) { return service->Write(stream); },
              this)));
    }
  }

 private:
  grpc::Status Write(
      grpc::ServerReaderWriter<v1::WriteAck, grpc::ByteBuffer>* stream) {
    grpc::ByteBuffer request;
    std::vector<grpc::Slice> slices;
    std::string bytes;
    v1::WriteAck ack;
    while (stream->Read(&request)) {
      slices.clear();
      if (!request.Dump(&slices).ok()) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable request");
      }
      bytes.clear();
      for (const grpc::Slice& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      int64_t records = 0;
      ack.set_sequence(ScanRequest(bytes, &records));
      counts_.grpc_requests.fetch_add(1, std::memory_order_relaxed);
      counts_.grpc_samples.fetch_add(records, std::memory_order_relaxed);
      counts_.grpc_bytes.fetch_add(static_cast<int64_t>(bytes.size()),
                                   std::memory_order_relaxed);
      if (!stream->Write(ack)) break;
    }
    return grpc::Status::OK;
  }

  Counts& counts_;
};

void PrintCounts(const Counts& c) {
  std::fprintf(stderr,
               "remote_sink: stats grpc_requests=%lld grpc_samples=%lld "
               "grpc_bytes=%lld http_requests=%lld http_bytes=%lld "
               "http_samples=%lld\n",
               static_cast<long long>(c.grpc_requests.load()),
               static_cast<long long>(c.grpc_samples.load()),
               static_cast<long long>(c.grpc_bytes.load()),
               static_cast<long long>(c.http_requests.load()),
               static_cast<long long>(c.http_bytes.load()),
               static_cast<long long>(c.http_samples.load()));
  std::fflush(stderr);
}

int Run(int argc, char** argv) {
  int grpc_port = 0;
  bool count_http_samples = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view flag = argv[i];
    if (flag == "--count_http_samples") {
      count_http_samples = true;
    } else if (flag != "--grpc_port" || i + 1 == argc ||
               !absl::SimpleAtoi(argv[++i], &grpc_port)) {
      std::fprintf(
          stderr,
          "usage: remote_sink [--grpc_port N] [--count_http_samples]\n");
      return 2;
    }
  }
  // Signals are taken by sigwait below; every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Counts counts;
  auto http = testing::TestHttpServer::Start(
      [&counts, count_http_samples](const testing::TestHttpRequest& request) {
        if (count_http_samples) {
          counts.http_samples.fetch_add(CountRemoteWriteSamples(request.body),
                                        std::memory_order_relaxed);
        }
        counts.http_requests.fetch_add(1, std::memory_order_relaxed);
        counts.http_bytes.fetch_add(static_cast<int64_t>(request.body.size()),
                                    std::memory_order_relaxed);
        testing::TestHttpResponse response;
        response.status = 204;
        response.reason = "No Content";
        return response;
      });
  if (!http.ok()) {
    std::fprintf(stderr, "remote_sink: %s\n", http.status().ToString().c_str());
    return 1;
  }
  DiscardingRemoteWrite service(counts);
  int bound_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", grpc_port),
                           grpc::InsecureServerCredentials(), &bound_port);
  builder.SetMaxReceiveMessageSize(-1);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    std::fprintf(stderr, "remote_sink: cannot listen on 127.0.0.1:%d\n",
                 grpc_port);
    return 1;
  }
  std::fprintf(stderr,
               "remote_sink: ready grpc=127.0.0.1:%d http=127.0.0.1:%d\n",
               bound_port, (*http)->port());
  std::fflush(stderr);
  for (;;) {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    PrintCounts(counts);
    if (signal_number != SIGUSR1) break;
  }
  // Streams stay open until the senders close them; a deadline cancels them.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  http->reset();
  return 0;
}

}  // namespace
}  // namespace promscrape::bench

int main(int argc, char** argv) { return promscrape::bench::Run(argc, argv); }
