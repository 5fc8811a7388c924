// libFuzzer target for the control requests that carry user input: an input
// starting with "u" is an UpdateTargetsRequest in protobuf text format (then
// applied with Reload), anything else is ApplyConfig's config_yaml. The
// handler runs against a fake engine that has job "node"; requests never
// crash it, whatever they are answered.

#include <cstdint>
#include <string>

#include "google/protobuf/text_format.h"
#include "plugin/config/compat.h"
#include "plugin/service/control_handler.h"
#include "proto/scrape/v1/scrape.pb.h"
#include "tests/testutil/fake_engine.h"

namespace {

using ::promscrape::service::ControlHandler;
using ::promscrape::testing::FakeEngine;
namespace v1 = ::promscrape::v1;

struct Fixture {
  Fixture()
      : handler(engine.manager(), engine.discovery(), engine.registry,
                engine.clock, promscrape::config::kDefaultPrometheusCompat) {}
  FakeEngine engine;
  ControlHandler handler;
};

ControlHandler& Handler() {
  // Built once: libFuzzer calls the target many times per process.
  static Fixture* fixture = [] {
    auto* f = new Fixture();
    v1::ApplyConfigRequest request;
    request.set_config_yaml("scrape_configs:\n- job_name: node\n");
    v1::ApplyConfigResponse response;
    f->handler.ApplyConfig(request, &response).IgnoreError();
    return f;
  }();
  return fixture->handler;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  ControlHandler& handler = Handler();
  if (!input.empty() && input[0] == 'u') {
    v1::UpdateTargetsRequest request;
    if (!google::protobuf::TextFormat::ParseFromString(input.substr(1),
                                                       &request)) {
      return 0;
    }
    v1::UpdateTargetsResponse response;
    handler.UpdateTargets(request, &response).IgnoreError();
    v1::ReloadResponse reload;
    handler.Reload(v1::ReloadRequest(), &reload).IgnoreError();
    return 0;
  }
  v1::ApplyConfigRequest request;
  request.set_config_yaml(input);
  v1::ApplyConfigResponse response;
  handler.ApplyConfig(request, &response).IgnoreError();
  return 0;
}
