#include "tests/testutil/reflection_client.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "plugin/common/mutex.h"

namespace promscrape::testing {
namespace {

namespace reflection = ::grpc::reflection::v1alpha;

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

}  // namespace

ReflectionClient::ReflectionClient(std::shared_ptr<grpc::Channel> channel,
                                   std::string bearer_token)
    : channel_(std::move(channel)), bearer_token_(std::move(bearer_token)) {}

absl::StatusOr<std::vector<std::string>> ReflectionClient::ListServices() {
  auto stub = reflection::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&context);
  reflection::ServerReflectionRequest request;
  request.set_list_services("");
  reflection::ServerReflectionResponse response;
  if (!stream->Write(request) || !stream->Read(&response)) {
    stream->WritesDone();
    return FromGrpc(stream->Finish());
  }
  stream->WritesDone();
  grpc::Status finish = stream->Finish();
  if (response.has_error_response()) {
    return absl::UnknownError(response.error_response().error_message());
  }
  std::vector<std::string> names;
  for (const auto& s : response.list_services_response().service()) {
    names.push_back(s.name());
  }
  return names;
}

absl::Status ReflectionClient::Fetch(bool by_symbol, const std::string& name) {
  auto stub = reflection::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&context);
  reflection::ServerReflectionRequest request;
  if (by_symbol) {
    request.set_file_containing_symbol(name);
  } else {
    request.set_file_by_filename(name);
  }
  reflection::ServerReflectionResponse response;
  bool ok = stream->Write(request) && stream->Read(&response);
  stream->WritesDone();
  grpc::Status finish = stream->Finish();
  if (!ok) return FromGrpc(finish);
  if (response.has_error_response()) {
    return absl::NotFoundError(absl::StrCat(
        "reflection: ", name, ": ", response.error_response().error_message()));
  }
  std::vector<std::string> missing;
  for (const std::string& bytes :
       response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    if (!file.ParseFromString(bytes)) {
      return absl::DataLossError("reflection: bad FileDescriptorProto");
    }
    google::protobuf::FileDescriptorProto existing;
    if (!database_.FindFileByName(file.name(), &existing)) {
      database_.Add(file);
    }
    for (const std::string& dep : file.dependency()) missing.push_back(dep);
  }
  // grpcurl resolves imports the server did not send by name.
  for (const std::string& dep : missing) {
    google::protobuf::FileDescriptorProto existing;
    if (!database_.FindFileByName(dep, &existing)) {
      absl::Status status = Fetch(/*by_symbol=*/false, dep);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

absl::Status ReflectionClient::LoadSymbol(const std::string& symbol) {
  if (pool_.FindServiceByName(symbol) != nullptr) return absl::OkStatus();
  return Fetch(/*by_symbol=*/true, symbol);
}

absl::StatusOr<std::vector<std::string>> ReflectionClient::ListMethods(
    const std::string& service) {
  absl::Status status = LoadSymbol(service);
  if (!status.ok()) return status;
  const google::protobuf::ServiceDescriptor* descriptor =
      pool_.FindServiceByName(service);
  if (descriptor == nullptr) {
    return absl::NotFoundError(absl::StrCat("service ", service, " not found"));
  }
  std::vector<std::string> methods;
  for (int i = 0; i < descriptor->method_count(); ++i) {
    methods.push_back(descriptor->method(i)->name());
  }
  return methods;
}

absl::StatusOr<std::string> ReflectionClient::CallJson(
    const std::string& service, const std::string& method,
    const std::string& json_request) {
  absl::Status status = LoadSymbol(service);
  if (!status.ok()) return status;
  const google::protobuf::ServiceDescriptor* descriptor =
      pool_.FindServiceByName(service);
  const google::protobuf::MethodDescriptor* m =
      descriptor == nullptr ? nullptr : descriptor->FindMethodByName(method);
  if (m == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("method ", service, "/", method, " not found"));
  }
  std::unique_ptr<google::protobuf::Message> request(
      factory_.GetPrototype(m->input_type())->New());
  std::unique_ptr<google::protobuf::Message> response(
      factory_.GetPrototype(m->output_type())->New());
  auto parsed = google::protobuf::util::JsonStringToMessage(json_request,
                                                            request.get());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("request JSON: ", parsed.ToString()));
  }
  std::string bytes = request->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  if (!bearer_token_.empty()) {
    context.AddMetadata("authorization", "Bearer " + bearer_token_);
  }
  grpc::GenericStub stub(channel_);
  Notification done;
  grpc::Status call_status;
  stub.UnaryCall(&context, absl::StrCat("/", service, "/", method),
                 grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&](grpc::Status s) {
                   call_status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!call_status.ok()) return FromGrpc(call_status);
  grpc::Slice out;
  if (!response_buffer.DumpToSingleSlice(&out).ok() ||
      !response->ParseFromArray(out.begin(), static_cast<int>(out.size()))) {
    return absl::DataLossError("cannot parse the response");
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto printed =
      google::protobuf::util::MessageToJsonString(*response, &json, options);
  if (!printed.ok()) return absl::InternalError(printed.ToString());
  return json;
}

}  // namespace promscrape::testing
