// Deployment spec files: the zlayer deployment YAML (version, deployment,
// services) restricted to what a WebAssembly workload uses. Unknown or
// mistyped fields are errors naming the field, the file and the line.
// The format is documented in docs/spec.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/runtime/types.h"

namespace wasmlet::runtime {

// Where a value was read from (a line, a warning about an ignored field):
// shown in messages, not part of the spec's value, so two specs that differ
// only here compare equal.
template <class T>
struct SourceNote {
  T value{};
  friend bool operator==(const SourceNote&, const SourceNote&) { return true; }
};

struct ImageSpec {
  std::string name;  // registry reference, or a .wasm file (path or file://)
  PullPolicy pull_policy = PullPolicy::IfNotPresent;
  friend bool operator==(const ImageSpec&, const ImageSpec&) = default;
};

struct CommandSpec {
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> args;
  std::optional<std::string> workdir;
  friend bool operator==(const CommandSpec&, const CommandSpec&) = default;
};

struct StorageSpec {
  enum class Type { Bind, Named, Anonymous, Tmpfs, S3 };
  Type type = Type::Bind;
  std::string source;  // bind: host path
  std::string name;    // named: volume name
  std::string bucket;  // s3
  std::string target;  // guest path
  bool readonly = false;
  std::optional<std::string> size;  // named/tmpfs: writes past it fail with nospc (src/wasi_sys/dir_quota.h)
  SourceNote<int> line;             // where it was declared, for messages
  friend bool operator==(const StorageSpec&, const StorageSpec&) = default;
};
const char* to_string(StorageSpec::Type type);

// What host interfaces the guest gets (zlayer's WasmCapabilities). Of these,
// cli (args, env), filesystem (mounts) and sockets (endpoint listeners,
// wasi:sockets) gate WASI; the others concern zlayer host interfaces and are
// recorded.
struct WasmCapabilities {
  bool config = true, keyvalue = true, logging = true, secrets = false, metrics = true;
  bool http_client = false, cli = false, filesystem = false, sockets = false;
  friend bool operator==(const WasmCapabilities&, const WasmCapabilities&) = default;
};

struct WasmPreopen {
  std::string source, target;
  bool readonly = false;
  friend bool operator==(const WasmPreopen&, const WasmPreopen&) = default;
};

struct WasmConfig {
  std::optional<std::string> max_memory;  // "64Mi"
  uint64_t max_fuel = 0;                  // 0 = unlimited
  std::optional<std::chrono::nanoseconds> epoch_interval;
  std::optional<std::chrono::nanoseconds> request_timeout;  // wall-time limit of a run
  std::optional<WasmCapabilities> capabilities;
  std::vector<WasmPreopen> preopens;
  // zlayer's instance pool of wasm_http services: recorded (and checked:
  // min <= max), not used, as wasmlet runs `scale.replicas` instances.
  uint32_t min_instances = 0, max_instances = 10;
  // Network reach of a component through wasi:sockets (with the sockets
  // capability): TCP and UDP sockets are refused unless allowed, and with
  // allowed_hosts only those names resolve and only their addresses (or IP
  // literals listed) can be connected to. Preview1 modules cannot open sockets.
  bool allow_tcp = false, allow_udp = false;
  std::vector<std::string> allowed_hosts;
  // wasmlet gives guests no HTTP client of its own: outgoing HTTP is possible
  // only over a TCP socket, so `false` is refused together with allow_tcp.
  bool allow_http_outgoing = true;
  bool precompile = true;  // recorded; instances compile on first start (docs/aot.md)
  // zlayer secret names: refused when not empty (no secret store yet).
  std::vector<std::string> secrets;
  friend bool operator==(const WasmConfig&, const WasmConfig&) = default;
};

enum class ServiceType { Standard, WasmHttp, WasmPlugin, WasmTransformer, WasmAuthenticator, WasmRateLimiter, WasmMiddleware, WasmRouter, Job };
const char* to_string(ServiceType type);
// The zlayer defaults per WASM service type; nullopt for standard and job.
std::optional<WasmCapabilities> default_capabilities(ServiceType type);

struct EndpointSpec {
  std::string name;
  std::string protocol = "tcp";  // tcp, http
  uint16_t port = 0;             // 127.0.0.1:port is opened and handed to the guest
  friend bool operator==(const EndpointSpec&, const EndpointSpec&) = default;
};

struct HealthSpec {
  enum class Type { None, Tcp, Http };
  Type type = Type::None;
  uint16_t port = 0;     // tcp: 0 = the first endpoint's port
  std::string url;       // http: http://127.0.0.1:PORT/path
  uint16_t expect_status = 200;
  std::chrono::nanoseconds start_grace{std::chrono::seconds(5)};
  std::chrono::nanoseconds interval{std::chrono::seconds(10)};
  std::chrono::nanoseconds timeout{std::chrono::seconds(2)};
  uint32_t retries = 3;
  friend bool operator==(const HealthSpec&, const HealthSpec&) = default;
};

struct RestartPolicy {
  enum class Kind { No, OnFailure, Always, UnlessStopped };
  Kind kind = Kind::No;
  std::optional<uint32_t> max_attempts;  // on_failure; none = forever
  std::chrono::nanoseconds delay{std::chrono::milliseconds(100)};  // first backoff, doubled each time up to 1 minute
  friend bool operator==(const RestartPolicy&, const RestartPolicy&) = default;
};
const char* to_string(RestartPolicy::Kind kind);

struct ServiceSpec {
  std::string name;  // the key under `services`
  ImageSpec image;
  std::map<std::string, std::string> env;
  CommandSpec command;
  std::vector<StorageSpec> storage;
  std::optional<WasmConfig> wasm;
  ServiceType service_type = ServiceType::Standard;
  uint32_t replicas = 1;
  RestartPolicy restart_policy;
  HealthSpec health;
  std::vector<EndpointSpec> endpoints;
  SourceNote<std::vector<std::string>> warnings;  // accepted zlayer fields that wasmlet ignores
  friend bool operator==(const ServiceSpec&, const ServiceSpec&) = default;
};

struct DeploymentSpec {
  std::string version;     // "v1"
  std::string deployment;  // name
  std::vector<ServiceSpec> services;  // in file order
  const ServiceSpec* find(std::string_view service) const;
  friend bool operator==(const DeploymentSpec&, const DeploymentSpec&) = default;
};

// Parses a deployment document. `source` (a file name) is used in messages:
// "spec.yaml:12: services.web.wasm.max_memory: expected a size like 64Mi, got '64MB'".
// Throws RuntimeError(InvalidSpec).
DeploymentSpec parse_deployment(std::string_view yaml, const std::string& source = "spec");
// Throws RuntimeError(InvalidSpec) naming `source`, the line and the byte
// when `text` is not UTF-8 (parse_deployment checks it first).
void check_spec_utf8(std::string_view text, const std::string& source);
DeploymentSpec load_deployment(const std::string& path);

// One service as YAML (the `services.NAME` mapping) and back; used to store
// specs and to show them in inspect. Every field is written, so
// parse_service(to_yaml(s)) == s.
std::string to_yaml(const ServiceSpec& spec);
ServiceSpec parse_service(std::string_view yaml, const std::string& name, const std::string& source = "spec");

}  // namespace wasmlet::runtime
