// Spec files: the zlayer deployment format, errors that name file, line and field.
#include <gtest/gtest.h>

#include "wasmlet/runtime/spec.h"

namespace wasmlet::runtime {
namespace {

const char* kFull = R"(version: v1
deployment: shop
services:
  api:
    rtype: service
    image:
      name: ghcr.io/acme/api:1.2
      pull_policy: always
    env:
      MODE: prod
      PORT: 8080
    command:
      entrypoint: ["serve"]
      args: ["--port", "8080"]
      workdir: /app
    storage:
      - type: bind
        source: /srv/config
        target: /config
        readonly: true
      - type: named
        name: api-data
        target: /data
      - type: tmpfs
        target: /tmp
    wasm:
      max_memory: 64Mi
      max_fuel: 1000000
      epoch_interval: 100ms
      request_timeout: 30s
      capabilities:
        filesystem: true
        sockets: true
        cli: true
    service_type: wasm_plugin
    scale:
      mode: fixed
      replicas: 3
    restart_policy:
      kind: on_failure
      max_attempts: 4
      delay: 250ms
    endpoints:
      - name: http
        protocol: http
        port: 18080
    health:
      start_grace: 1s
      interval: 2s
      retries: 5
      check:
        type: tcp
        port: 0
  worker:
    image: /opt/worker.wasm
    restart_policy: on-failure:2
)";

TEST(Spec, ParsesTheZlayerDeploymentFormat) {
  DeploymentSpec d = parse_deployment(kFull, "shop.yaml");
  EXPECT_EQ(d.version, "v1");
  EXPECT_EQ(d.deployment, "shop");
  ASSERT_EQ(d.services.size(), 2u);
  const ServiceSpec& api = *d.find("api");
  EXPECT_EQ(api.image.name, "ghcr.io/acme/api:1.2");
  EXPECT_EQ(api.image.pull_policy, PullPolicy::Always);
  EXPECT_EQ(api.env.at("PORT"), "8080");
  EXPECT_EQ(*api.command.entrypoint, std::vector<std::string>{"serve"});
  EXPECT_EQ(api.command.args->size(), 2u);
  ASSERT_EQ(api.storage.size(), 3u);
  EXPECT_EQ(api.storage[0].type, StorageSpec::Type::Bind);
  EXPECT_TRUE(api.storage[0].readonly);
  EXPECT_EQ(api.storage[1].name, "api-data");
  EXPECT_EQ(api.storage[2].type, StorageSpec::Type::Tmpfs);
  ASSERT_TRUE(api.wasm);
  EXPECT_EQ(*api.wasm->max_memory, "64Mi");
  EXPECT_EQ(api.wasm->max_fuel, 1000000u);
  EXPECT_EQ(*api.wasm->epoch_interval, std::chrono::milliseconds(100));
  EXPECT_TRUE(api.wasm->capabilities->filesystem);
  EXPECT_FALSE(api.wasm->capabilities->secrets);
  EXPECT_EQ(api.service_type, ServiceType::WasmPlugin);
  EXPECT_EQ(api.replicas, 3u);
  EXPECT_EQ(api.restart_policy.kind, RestartPolicy::Kind::OnFailure);
  EXPECT_EQ(api.restart_policy.max_attempts, 4u);
  EXPECT_EQ(api.health.type, HealthSpec::Type::Tcp);
  EXPECT_EQ(api.health.retries, 5u);
  EXPECT_EQ(api.endpoints.at(0).port, 18080);
  ASSERT_EQ(api.warnings.size(), 1u);  // rtype is zlayer's, accepted and ignored
  EXPECT_NE(api.warnings[0].find("rtype"), std::string::npos);
  const ServiceSpec& worker = *d.find("worker");
  EXPECT_EQ(worker.image.name, "/opt/worker.wasm");
  EXPECT_EQ(worker.restart_policy.max_attempts, 2u);
  EXPECT_EQ(worker.replicas, 1u);
}

TEST(Spec, RoundTripsThroughYaml) {
  DeploymentSpec d = parse_deployment(kFull, "shop.yaml");
  for (const auto& s : d.services) {
    ServiceSpec back = parse_service(to_yaml(s), s.name);
    EXPECT_EQ(to_yaml(back), to_yaml(s));
    EXPECT_EQ(back.env, s.env);
    EXPECT_EQ(back.storage.size(), s.storage.size());
    EXPECT_EQ(back.restart_policy.kind, s.restart_policy.kind);
  }
}

void expect_error(const std::string& yaml, const std::vector<std::string>& parts) {
  try {
    parse_deployment(yaml, "bad.yaml");
    ADD_FAILURE() << "accepted:\n" << yaml;
  } catch (const RuntimeError& e) {
    EXPECT_EQ(e.kind(), RuntimeError::Kind::InvalidSpec);
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << "\nmissing: " << p;
  }
}

TEST(Spec, UnknownFieldsNameTheFieldAndLine) {
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: {name: x.wasm}\n    imagee: oops\n",
               {"bad.yaml:6:", "services.web.imagee", "unknown field 'imagee'"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    wasm:\n      max_fuell: 3\n",
               {"bad.yaml:7:", "services.web.wasm.max_fuell"});
  expect_error("version: v1\ndeployment: d\nflavour: x\nservices: {}\n", {"bad.yaml:3:", "flavour"});
}

TEST(Spec, MistypedFieldsNameTheFieldAndLine) {
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    wasm:\n      max_memory: 64MB\n",
               {"bad.yaml:7:", "services.web.wasm.max_memory", "64MB"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    wasm:\n      max_fuel: lots\n",
               {"bad.yaml:7:", "max_fuel", "non-negative integer"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    scale:\n      replicas: [1]\n",
               {"bad.yaml:7:", "services.web.scale.replicas"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    storage:\n      - type: bind\n        source: /a\n        target: /b\n        readonly: maybe\n",
               {"bad.yaml:10:", "services.web.storage[0].readonly", "true or false"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image:\n      name: x.wasm\n      pull_policy: sometimes\n",
               {"bad.yaml:7:", "pull_policy"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    restart_policy: on-failure:many\n",
               {"bad.yaml:6:", "restart_policy"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    storage:\n      - type: nfs\n        target: /x\n",
               {"bad.yaml:7:", "unknown storage type 'nfs'"});
}

TEST(Spec, MissingFieldsAndBadDocuments) {
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    env: {A: b}\n", {"bad.yaml:5:", "missing required field 'image'"});
  expect_error("version: v2\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n", {"bad.yaml:1:", "unsupported version 'v2'"});
  expect_error("version: v1\ndeployment: d\nservices: [\n", {"bad.yaml", "not valid YAML"});
  expect_error("- just\n- a list\n", {"bad.yaml:1:", "expected a mapping"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    health:\n      check: {type: tcp}\n",
               {"health.check.port", "no endpoints"});
}

TEST(Spec, DefaultCapabilitiesFollowZlayer) {
  EXPECT_FALSE(default_capabilities(ServiceType::Standard));
  auto http = default_capabilities(ServiceType::WasmHttp);
  ASSERT_TRUE(http);
  EXPECT_TRUE(http->http_client);
  EXPECT_FALSE(http->filesystem);
  EXPECT_TRUE(default_capabilities(ServiceType::WasmPlugin)->filesystem);
}

}  // namespace
}  // namespace wasmlet::runtime
