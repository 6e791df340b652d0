// Spec files: the zlayer deployment format, errors that name file, line and field.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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
    scale:
      mode: fixed
      replicas: 3
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
  EXPECT_EQ(api.replicas, 1u);
  EXPECT_EQ(api.restart_policy.kind, RestartPolicy::Kind::OnFailure);
  EXPECT_EQ(api.restart_policy.max_attempts, 4u);
  EXPECT_EQ(api.health.type, HealthSpec::Type::Tcp);
  EXPECT_EQ(api.health.retries, 5u);
  EXPECT_EQ(api.endpoints.at(0).port, 18080);
  ASSERT_EQ(api.warnings.value.size(), 1u);  // rtype is zlayer's, accepted and ignored
  EXPECT_NE(api.warnings.value[0].find("rtype"), std::string::npos);
  const ServiceSpec& worker = *d.find("worker");
  EXPECT_EQ(worker.image.name, "/opt/worker.wasm");
  EXPECT_EQ(worker.restart_policy.max_attempts, 2u);
  EXPECT_EQ(worker.replicas, 3u);
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

// Every field of every struct set to something other than its default, as
// a recorded service spec holds them (a deployment file refuses replicas
// that share an endpoint port: Spec.ReplicasCannotShareAnEndpointPort).
const char* kEveryField = R"(image: {name: /opt/all.wasm, pull_policy: never}
env: {A: "1", EMPTY: ""}
command: {entrypoint: [run], args: [a, "b c"], workdir: /w}
storage:
  - {type: bind, source: /srv, target: /srv, readonly: true}
  - {type: named, name: vol, target: /vol, readonly: true, size: 1Gi}
  - {type: tmpfs, target: /tmp, size: 8Mi}
  - {type: anonymous, target: /anon}
  - {type: s3, bucket: b, target: /s3, readonly: true}
wasm:
  max_memory: 32Mi
  max_fuel: 123
  epoch_interval: 7ms
  request_timeout: 1500ms
  capabilities: {config: false, keyvalue: false, logging: false, secrets: true, metrics: false,
                 http_client: true, cli: true, filesystem: true, sockets: true}
  preopens: [{source: /p, target: /q, readonly: true}]
  min_instances: 2
  max_instances: 5
  allow_tcp: true
  allow_udp: true
  allowed_hosts: [example.com, 127.0.0.1, "::1"]
  allow_http_outgoing: true
  precompile: false
service_type: wasm_router
scale: {mode: fixed, replicas: 4}
restart_policy: {kind: on_failure, max_attempts: 6, delay: 3s}
endpoints: [{name: web, protocol: http, port: 8081}]
health:
  start_grace: 1s
  interval: 2s
  timeout: 3s
  retries: 9
  check: {type: http, url: "http://127.0.0.1:8081/h", expect_status: 204}
)";

TEST(Spec, EveryFieldRoundTripsThroughYaml) {
  const ServiceSpec s = parse_service(kEveryField, "all", "every.yaml");
  // The fields that used to be dropped by to_yaml are set, not defaults.
  ASSERT_TRUE(s.wasm);
  EXPECT_EQ(s.wasm->min_instances, 2u);
  EXPECT_EQ(s.wasm->max_instances, 5u);
  EXPECT_TRUE(s.wasm->allow_tcp);
  EXPECT_TRUE(s.wasm->allow_udp);
  EXPECT_FALSE(s.wasm->precompile);
  EXPECT_EQ(s.wasm->allowed_hosts.size(), 3u);
  ServiceSpec back = parse_service(to_yaml(s), s.name);
  EXPECT_EQ(back, s) << to_yaml(s);
  // A change to any one field is seen by the comparison.
  ServiceSpec changed = back;
  changed.wasm->allow_udp = false;
  EXPECT_NE(changed, s);
  for (const auto& svc : parse_deployment(kFull, "shop.yaml").services) EXPECT_EQ(parse_service(to_yaml(svc), svc.name), svc);
}

TEST(Spec, SecuritySettingsThatCannotBeEnforcedAreRefused) {
  auto wasm = [](const std::string& body) {
    return "version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    wasm:\n" + body;
  };
  expect_error(wasm("      secrets: [db-password]\n"), {"bad.yaml:7:", "services.web.wasm.secrets", "not supported yet"});
  expect_error(wasm("      allow_tcp: true\n      allow_http_outgoing: false\n"),
               {"bad.yaml:8:", "wasm.allow_http_outgoing", "cannot be enforced"});
  expect_error(wasm("      min_instances: 3\n      max_instances: 2\n"), {"min_instances 3 is more than max_instances 2"});
  expect_error(wasm("      allowed_hosts: [\"https://example.com/\"]\n"), {"bad.yaml:7:", "allowed_hosts[0]", "no scheme"});
  expect_error(wasm("      allowed_hosts: [\"example.com:443\"]\n"), {"allowed_hosts[0]", "no scheme, port"});
  // Fields wasmlet has nothing for are warnings, not silence.
  auto d = parse_deployment(wasm("      kv_enabled: true\n      idle_timeout: 5m\n"), "ok.yaml");
  ASSERT_EQ(d.services[0].warnings.value.size(), 2u);
  EXPECT_NE(d.services[0].warnings.value[0].find("services.web.wasm.kv_enabled is accepted"), std::string::npos);
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

// Each replica listens on its endpoints' ports itself: two cannot share one.
// A bad deployment or service name says which rule it breaks.
TEST(Spec, BadNamesSayWhichRuleTheyBreak) {
  const auto deployment = [](const std::string& name) {
    return "version: v1\ndeployment: \"" + name + "\"\nservices:\n  web:\n    image: x.wasm\n";
  };
  expect_error(deployment(std::string(70, 'x')), {"bad.yaml:2:", "invalid deployment name", "it has 70 characters; at most 63"});
  expect_error(deployment("-x"), {"invalid deployment name '-x': it must start with a letter or digit"});
  expect_error(deployment("a.b"), {"invalid deployment name 'a.b': letters, digits, - and _ only"});
  expect_error(deployment(""), {"invalid deployment name '': it is empty"});
  const auto service = [](const std::string& name) {
    return "version: v1\ndeployment: d\nservices:\n  " + name + ":\n    image: x.wasm\n";
  };
  expect_error(service("_web"), {"bad.yaml:4:", "invalid service name '_web': it must start with a letter or digit"});
  expect_error(service("web-rep-1"), {"invalid service name 'web-rep-1': it may not contain '-rep-'"});
}

TEST(Spec, ReplicasCannotShareAnEndpointPort) {
  const std::string web = "version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n"
                          "    endpoints: [{name: http, port: 8080}]\n";
  expect_error(web + "    scale: {mode: fixed, replicas: 2}\n",
               {"bad.yaml:7:", "services.web.scale", "2 replicas cannot share endpoint 'http' on port 8080",
                "set scale.replicas: 1, or declare one service per port"});
  expect_error(web + "    scale: {mode: adaptive, min: 3}\n", {"services.web.scale", "3 replicas cannot share"});
  EXPECT_EQ(parse_deployment(web + "    scale: {mode: fixed, replicas: 1}\n").services[0].replicas, 1u);
  // Without a fixed port (0: each replica gets a free one) replicas are fine.
  auto any_port = "version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n"
                  "    endpoints: [{name: http, port: 0}]\n    scale: {replicas: 2}\n";
  EXPECT_EQ(parse_deployment(any_port).services[0].replicas, 2u);
}

// The example of docs/spec.md is a spec wasmlet accepts.
TEST(Spec, TheDocumentedExampleIsValid) {
  std::ifstream in(std::string(SOURCE_DIR) + "/docs/spec.md");
  std::stringstream doc;
  doc << in.rdbuf();
  std::string text = doc.str();
  auto start = text.find("```yaml\n");
  ASSERT_NE(start, std::string::npos) << "no yaml example in docs/spec.md";
  start += 8;
  auto yaml = text.substr(start, text.find("```", start) - start);
  DeploymentSpec d = parse_deployment(yaml, "docs/spec.md");
  const ServiceSpec& api = *d.find("api");
  EXPECT_FALSE(api.endpoints.empty());
  EXPECT_EQ(api.replicas, 1u);
}

// Limits that would make no sense are refused, naming the field: a health
// interval of 0 was a busy probe loop, a timeout of 0 ends everything at once.
TEST(Spec, IntervalsAndTimeoutsMustBeUsable) {
  auto health = [](const std::string& fields) {
    return "version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n"
           "    endpoints: [{name: http, port: 8080}]\n    health:\n" + fields + "      check: {type: tcp}\n";
  };
  expect_error(health("      interval: 0s\n"), {"bad.yaml:8:", "services.web.health.interval", "0s is too short",
                                                "at least 100ms"});
  expect_error(health("      interval: 10ms\n"), {"services.web.health.interval", "10ms is too short"});
  expect_error(health("      timeout: 0s\n"), {"bad.yaml:8:", "services.web.health.timeout", "more than 0"});
  EXPECT_EQ(parse_deployment(health("      interval: 100ms\n")).services[0].health.interval, std::chrono::milliseconds(100));
  auto url = [](const std::string& u) {
    return "version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    health:\n"
           "      check: {type: http, url: \"" + u + "\"}\n";
  };
  expect_error(url("http://127.0.0.1:99999/h"), {"bad.yaml:7:", "health.check.url", "must be a number from 1 to 65535"});
  expect_error(url("http://127.0.0.1:80x/h"), {"health.check.url", "'http://127.0.0.1:80x/h'"});
  EXPECT_EQ(parse_deployment(url("http://127.0.0.1:8080/h")).services[0].health.url, "http://127.0.0.1:8080/h");
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    wasm: {request_timeout: 0s}\n",
               {"bad.yaml:6:", "services.web.wasm.request_timeout", "more than 0"});
}

// Every guest path is absolute, whether a storage target or a preopen's.
TEST(Spec, PreopenTargetsAreAbsoluteAsStorageTargetsAre) {
  auto preopen = [](const std::string& target) {
    return "version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    wasm:\n"
           "      preopens: [{source: /srv, target: " + target + "}]\n";
  };
  expect_error(preopen("\"\""), {"bad.yaml:7:", "services.web.wasm.preopens[0].target", "must be an absolute guest path, got ''"});
  expect_error(preopen("data"), {"services.web.wasm.preopens[0].target", "got 'data'"});
  expect_error("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    storage: [{type: tmpfs, target: data}]\n",
               {"services.web.storage[0].target", "must be an absolute guest path, got 'data'"});
  EXPECT_EQ(parse_deployment(preopen("/data")).services[0].wasm->preopens[0].target, "/data");
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
