// Deployment spec parsing (yaml-cpp). Every error names the file, the line
// and the dotted path of the field: "spec.yaml:7: services.web.wasm.max_fuel:
// expected a non-negative integer, got 'lots'".
#include "wasmlet/runtime/spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "wasmlet/byte_size.h"
#include "wasmlet/duration.h"

namespace wasmlet::runtime {

namespace {

struct Ctx {
  const std::string& source;
};

[[noreturn]] void fail(const Ctx& ctx, const YAML::Node& node, const std::string& path, const std::string& message) {
  int line = node.IsDefined() ? node.Mark().line + 1 : 0;
  if (line > 0)
    throw RuntimeError(RuntimeError::Kind::InvalidSpec, fmt::format("{}:{}: {}: {}", ctx.source, line, path, message));
  throw RuntimeError(RuntimeError::Kind::InvalidSpec, fmt::format("{}: {}: {}", ctx.source, path, message));
}

std::string kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return fmt::format("'{}'", n.Scalar());
    default: return "nothing";
  }
}

std::string join(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// Checks that `node` is a mapping whose keys are all in `known` (or in
// `ignored`, zlayer fields wasmlet accepts but does not use).
void check_map(const Ctx& ctx, const YAML::Node& node, const std::string& path, const std::set<std::string>& known,
               const std::set<std::string>& ignored = {}, std::vector<std::string>* warnings = nullptr) {
  if (!node.IsMap()) fail(ctx, node, path, fmt::format("expected a mapping, got {}", kind_name(node)));
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) fail(ctx, kv.first, path, "keys must be plain names");
    const std::string& key = kv.first.Scalar();
    if (known.count(key)) continue;
    if (ignored.count(key)) {
      if (warnings) warnings->push_back(fmt::format("{}:{}: {}.{} is accepted for zlayer compatibility and ignored by wasmlet",
                                                    ctx.source, kv.first.Mark().line + 1, path, key));
      continue;
    }
    fail(ctx, kv.first, path.empty() ? key : path + "." + key,
         fmt::format("unknown field '{}' (known fields: {})", key, join(known)));
  }
}

std::string child_path(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string get_string(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) fail(ctx, node, path, fmt::format("expected a string, got {}", kind_name(node)));
  return node.Scalar();
}

bool get_bool(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no") return false;
  }
  fail(ctx, node, path, fmt::format("expected true or false, got {}", kind_name(node)));
}

uint64_t get_u64(const Ctx& ctx, const YAML::Node& node, const std::string& path, uint64_t max = UINT64_MAX) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) {
      if (v > max) fail(ctx, node, path, fmt::format("{} is too large (at most {})", v, max));
      return v;
    }
  }
  fail(ctx, node, path, fmt::format("expected a non-negative integer, got {}", kind_name(node)));
}

std::chrono::nanoseconds get_duration(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  std::string s = get_string(ctx, node, path);
  try {
    return parse_duration(s);
  } catch (const Error&) {
    fail(ctx, node, path, fmt::format("expected a duration like 500ms, 5s or 2m, got '{}'", s));
  }
}

std::vector<std::string> get_string_list(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  if (node.IsNull()) return {};
  if (!node.IsSequence()) fail(ctx, node, path, fmt::format("expected a list of strings, got {}", kind_name(node)));
  std::vector<std::string> out;
  size_t i = 0;
  for (const auto& item : node) out.push_back(get_string(ctx, item, fmt::format("{}[{}]", path, i++)));
  return out;
}

ImageSpec parse_image(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  ImageSpec image;
  if (node.IsScalar()) {  // shorthand: image: ghcr.io/org/app:1
    image.name = node.Scalar();
  } else {
    check_map(ctx, node, path, {"name", "pull_policy"});
    if (!node["name"]) fail(ctx, node, path, "missing required field 'name'");
    image.name = get_string(ctx, node["name"], child_path(path, "name"));
    if (auto p = node["pull_policy"]) {
      try {
        image.pull_policy = pull_policy_from_string(get_string(ctx, p, child_path(path, "pull_policy")));
      } catch (const RuntimeError&) {
        fail(ctx, p, child_path(path, "pull_policy"),
             fmt::format("expected always, if_not_present or never, got {}", kind_name(p)));
      }
    }
  }
  if (image.name.empty()) fail(ctx, node, child_path(path, "name"), "the image name must not be empty");
  return image;
}

CommandSpec parse_command(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  CommandSpec cmd;
  check_map(ctx, node, path, {"entrypoint", "args", "workdir"});
  if (auto n = node["entrypoint"]) cmd.entrypoint = get_string_list(ctx, n, child_path(path, "entrypoint"));
  if (auto n = node["args"]) cmd.args = get_string_list(ctx, n, child_path(path, "args"));
  if (auto n = node["workdir"]) cmd.workdir = get_string(ctx, n, child_path(path, "workdir"));
  return cmd;
}

std::string required_string(const Ctx& ctx, const YAML::Node& node, const std::string& path, const char* key) {
  if (!node[key]) fail(ctx, node, path, fmt::format("missing required field '{}'", key));
  return get_string(ctx, node[key], child_path(path, key));
}

StorageSpec parse_storage(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  StorageSpec s;
  s.line = node.Mark().line + 1;
  if (!node.IsMap()) fail(ctx, node, path, fmt::format("expected a mapping, got {}", kind_name(node)));
  if (!node["type"]) fail(ctx, node, path, "missing required field 'type' (bind, named, anonymous, tmpfs or s3)");
  std::string type = get_string(ctx, node["type"], child_path(path, "type"));
  if (type == "bind") {
    s.type = StorageSpec::Type::Bind;
    check_map(ctx, node, path, {"type", "source", "target", "readonly"});
    s.source = required_string(ctx, node, path, "source");
  } else if (type == "named") {
    s.type = StorageSpec::Type::Named;
    check_map(ctx, node, path, {"type", "name", "target", "readonly", "tier", "size"});
    s.name = required_string(ctx, node, path, "name");
    if (s.name.empty() || s.name.find('/') != std::string::npos || s.name == "." || s.name == "..")
      fail(ctx, node["name"], child_path(path, "name"), fmt::format("invalid volume name '{}': use letters, digits, - _ .", s.name));
    if (auto n = node["size"]) s.size = get_string(ctx, n, child_path(path, "size"));
  } else if (type == "anonymous") {
    s.type = StorageSpec::Type::Anonymous;
    check_map(ctx, node, path, {"type", "target", "tier"});
  } else if (type == "tmpfs") {
    s.type = StorageSpec::Type::Tmpfs;
    check_map(ctx, node, path, {"type", "target", "size", "mode"});
    if (auto n = node["size"]) s.size = get_string(ctx, n, child_path(path, "size"));
  } else if (type == "s3") {
    s.type = StorageSpec::Type::S3;
    check_map(ctx, node, path, {"type", "bucket", "prefix", "target", "readonly", "endpoint", "credentials"});
    s.bucket = required_string(ctx, node, path, "bucket");
  } else {
    fail(ctx, node["type"], child_path(path, "type"),
         fmt::format("unknown storage type '{}' (expected bind, named, anonymous, tmpfs or s3)", type));
  }
  s.target = required_string(ctx, node, path, "target");
  if (s.target.empty() || s.target[0] != '/')
    fail(ctx, node["target"], child_path(path, "target"), fmt::format("the target must be an absolute guest path, got '{}'", s.target));
  if (auto n = node["readonly"]) s.readonly = get_bool(ctx, n, child_path(path, "readonly"));
  if (s.size) {
    try {
      parse_byte_size(*s.size);
    } catch (const Error&) {
      fail(ctx, node["size"], child_path(path, "size"), fmt::format("expected a size like 64Mi, got '{}'", *s.size));
    }
  }
  return s;
}

WasmCapabilities parse_capabilities(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  WasmCapabilities c;
  check_map(ctx, node, path,
            {"config", "keyvalue", "logging", "secrets", "metrics", "http_client", "cli", "filesystem", "sockets"});
  auto flag = [&](const char* key, bool& field) {
    if (auto n = node[key]) field = get_bool(ctx, n, child_path(path, key));
  };
  flag("config", c.config);
  flag("keyvalue", c.keyvalue);
  flag("logging", c.logging);
  flag("secrets", c.secrets);
  flag("metrics", c.metrics);
  flag("http_client", c.http_client);
  flag("cli", c.cli);
  flag("filesystem", c.filesystem);
  flag("sockets", c.sockets);
  return c;
}

WasmConfig parse_wasm(const Ctx& ctx, const YAML::Node& node, const std::string& path, std::vector<std::string>& warnings) {
  WasmConfig w;
  check_map(ctx, node, path,
            {"max_memory", "max_fuel", "epoch_interval", "request_timeout", "capabilities", "preopens", "min_instances",
             "max_instances", "idle_timeout", "allow_http_outgoing", "allowed_hosts", "allow_tcp", "allow_udp",
             "kv_enabled", "kv_namespace", "kv_max_value_size", "secrets", "precompile"});
  if (auto n = node["max_memory"]) {
    w.max_memory = get_string(ctx, n, child_path(path, "max_memory"));
    try {
      if (parse_byte_size(*w.max_memory) == 0) throw UsageError("zero");
    } catch (const Error&) {
      fail(ctx, n, child_path(path, "max_memory"), fmt::format("expected a size like 64Mi or 1Gi, got '{}'", *w.max_memory));
    }
  }
  if (auto n = node["max_fuel"]) w.max_fuel = get_u64(ctx, n, child_path(path, "max_fuel"));
  if (auto n = node["epoch_interval"]) w.epoch_interval = get_duration(ctx, n, child_path(path, "epoch_interval"));
  if (auto n = node["request_timeout"]) w.request_timeout = get_duration(ctx, n, child_path(path, "request_timeout"));
  if (auto n = node["idle_timeout"]) get_duration(ctx, n, child_path(path, "idle_timeout"));
  if (auto n = node["capabilities"]) w.capabilities = parse_capabilities(ctx, n, child_path(path, "capabilities"));
  if (auto n = node["preopens"]) {
    if (!n.IsSequence()) fail(ctx, n, child_path(path, "preopens"), fmt::format("expected a list, got {}", kind_name(n)));
    size_t i = 0;
    for (const auto& p : n) {
      std::string ppath = fmt::format("{}.preopens[{}]", path, i++);
      check_map(ctx, p, ppath, {"source", "target", "readonly"});
      WasmPreopen pre;
      pre.source = required_string(ctx, p, ppath, "source");
      pre.target = required_string(ctx, p, ppath, "target");
      if (auto r = p["readonly"]) pre.readonly = get_bool(ctx, r, child_path(ppath, "readonly"));
      w.preopens.push_back(pre);
    }
  }
  if (auto n = node["min_instances"]) w.min_instances = static_cast<uint32_t>(get_u64(ctx, n, child_path(path, "min_instances"), UINT32_MAX));
  if (auto n = node["max_instances"]) w.max_instances = static_cast<uint32_t>(get_u64(ctx, n, child_path(path, "max_instances"), UINT32_MAX));
  if (auto n = node["allow_http_outgoing"]) w.allow_http_outgoing = get_bool(ctx, n, child_path(path, "allow_http_outgoing"));
  if (auto n = node["allow_tcp"]) w.allow_tcp = get_bool(ctx, n, child_path(path, "allow_tcp"));
  if (auto n = node["allow_udp"]) w.allow_udp = get_bool(ctx, n, child_path(path, "allow_udp"));
  if (auto n = node["precompile"]) w.precompile = get_bool(ctx, n, child_path(path, "precompile"));
  if (auto n = node["kv_enabled"]) get_bool(ctx, n, child_path(path, "kv_enabled"));
  if (auto n = node["kv_namespace"]) get_string(ctx, n, child_path(path, "kv_namespace"));
  if (auto n = node["kv_max_value_size"]) get_u64(ctx, n, child_path(path, "kv_max_value_size"));
  if (auto n = node["allowed_hosts"]) w.allowed_hosts = get_string_list(ctx, n, child_path(path, "allowed_hosts"));
  if (auto n = node["secrets"]) w.secrets = get_string_list(ctx, n, child_path(path, "secrets"));
  return w;
}

ServiceType parse_service_type(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  std::string s = get_string(ctx, node, path);
  for (auto t : {ServiceType::Standard, ServiceType::WasmHttp, ServiceType::WasmPlugin, ServiceType::WasmTransformer,
                 ServiceType::WasmAuthenticator, ServiceType::WasmRateLimiter, ServiceType::WasmMiddleware,
                 ServiceType::WasmRouter, ServiceType::Job})
    if (s == to_string(t)) return t;
  fail(ctx, node, path,
       fmt::format("unknown service type '{}' (expected standard, wasm_http, wasm_plugin, wasm_transformer, "
                   "wasm_authenticator, wasm_rate_limiter, wasm_middleware, wasm_router or job)", s));
}

uint32_t parse_scale(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) fail(ctx, node, path, fmt::format("expected a mapping, got {}", kind_name(node)));
  std::string mode = node["mode"] ? get_string(ctx, node["mode"], child_path(path, "mode")) : "fixed";
  if (mode == "fixed") {
    check_map(ctx, node, path, {"mode", "replicas"});
    if (!node["replicas"]) fail(ctx, node, path, "missing required field 'replicas'");
    return static_cast<uint32_t>(get_u64(ctx, node["replicas"], child_path(path, "replicas"), 10000));
  }
  if (mode == "adaptive") {
    check_map(ctx, node, path, {"mode", "min", "max", "cooldown", "targets"});
    if (!node["min"]) fail(ctx, node, path, "missing required field 'min'");
    return static_cast<uint32_t>(get_u64(ctx, node["min"], child_path(path, "min"), 10000));
  }
  if (mode == "manual") {
    check_map(ctx, node, path, {"mode"});
    return 1;
  }
  fail(ctx, node["mode"], child_path(path, "mode"), fmt::format("unknown scale mode '{}' (expected fixed, adaptive or manual)", mode));
}

RestartPolicy parse_restart(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  RestartPolicy p;
  auto kind_of = [&](const std::string& s, const YAML::Node& at) {
    if (s == "no" || s == "never") return RestartPolicy::Kind::No;
    if (s == "always") return RestartPolicy::Kind::Always;
    if (s == "on_failure" || s == "on-failure") return RestartPolicy::Kind::OnFailure;
    if (s == "unless_stopped" || s == "unless-stopped") return RestartPolicy::Kind::UnlessStopped;
    fail(ctx, at, path, fmt::format("unknown restart policy '{}' (expected no, on_failure[:N], always or unless_stopped)", s));
  };
  if (node.IsScalar()) {  // docker-style shorthand: "on-failure:3"
    std::string s = node.Scalar();
    auto colon = s.find(':');
    p.kind = kind_of(s.substr(0, colon), node);
    if (colon != std::string::npos) {
      if (p.kind != RestartPolicy::Kind::OnFailure) fail(ctx, node, path, "only on-failure takes a maximum (on-failure:N)");
      YAML::Node n(s.substr(colon + 1));
      uint32_t v = 0;
      std::string num = s.substr(colon + 1);
      auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (num.empty() || ec != std::errc() || end != num.data() + num.size())
        fail(ctx, node, path, fmt::format("expected on-failure:N with a number N, got '{}'", s));
      p.max_attempts = v;
    }
    return p;
  }
  check_map(ctx, node, path, {"kind", "max_attempts", "delay"});
  if (!node["kind"]) fail(ctx, node, path, "missing required field 'kind'");
  p.kind = kind_of(get_string(ctx, node["kind"], child_path(path, "kind")), node["kind"]);
  if (auto n = node["max_attempts"]) p.max_attempts = static_cast<uint32_t>(get_u64(ctx, n, child_path(path, "max_attempts"), UINT32_MAX));
  if (auto n = node["delay"]) p.delay = get_duration(ctx, n, child_path(path, "delay"));
  return p;
}

HealthSpec parse_health(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  HealthSpec h;
  check_map(ctx, node, path, {"start_grace", "interval", "timeout", "retries", "check"});
  if (auto n = node["start_grace"]) h.start_grace = get_duration(ctx, n, child_path(path, "start_grace"));
  if (auto n = node["interval"]) h.interval = get_duration(ctx, n, child_path(path, "interval"));
  if (auto n = node["timeout"]) h.timeout = get_duration(ctx, n, child_path(path, "timeout"));
  if (auto n = node["retries"]) h.retries = static_cast<uint32_t>(get_u64(ctx, n, child_path(path, "retries"), 1000));
  if (!node["check"]) fail(ctx, node, path, "missing required field 'check'");
  YAML::Node c = node["check"];
  std::string cpath = child_path(path, "check");
  if (!c.IsMap()) fail(ctx, c, cpath, fmt::format("expected a mapping, got {}", kind_name(c)));
  if (!c["type"]) fail(ctx, c, cpath, "missing required field 'type' (tcp or http)");
  std::string type = get_string(ctx, c["type"], child_path(cpath, "type"));
  if (type == "tcp") {
    check_map(ctx, c, cpath, {"type", "port"});
    h.type = HealthSpec::Type::Tcp;
    if (auto n = c["port"]) h.port = static_cast<uint16_t>(get_u64(ctx, n, child_path(cpath, "port"), 65535));
  } else if (type == "http") {
    check_map(ctx, c, cpath, {"type", "url", "expect_status"});
    h.type = HealthSpec::Type::Http;
    h.url = required_string(ctx, c, cpath, "url");
    if (!h.url.starts_with("http://"))
      fail(ctx, c["url"], child_path(cpath, "url"), fmt::format("only http:// URLs can be checked, got '{}'", h.url));
    if (auto n = c["expect_status"]) h.expect_status = static_cast<uint16_t>(get_u64(ctx, n, child_path(cpath, "expect_status"), 999));
  } else if (type == "command") {
    fail(ctx, c["type"], child_path(cpath, "type"), "command health checks are not supported for WebAssembly workloads (use tcp or http)");
  } else {
    fail(ctx, c["type"], child_path(cpath, "type"), fmt::format("unknown health check type '{}' (expected tcp or http)", type));
  }
  return h;
}

std::vector<EndpointSpec> parse_endpoints(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) fail(ctx, node, path, fmt::format("expected a list, got {}", kind_name(node)));
  std::vector<EndpointSpec> out;
  size_t i = 0;
  for (const auto& e : node) {
    std::string epath = fmt::format("{}[{}]", path, i++);
    check_map(ctx, e, epath, {"name", "protocol", "port"}, {"target_port", "path", "expose", "stream", "tunnel", "host"});
    EndpointSpec ep;
    if (auto n = e["name"]) ep.name = get_string(ctx, n, child_path(epath, "name"));
    if (auto n = e["protocol"]) {
      ep.protocol = get_string(ctx, n, child_path(epath, "protocol"));
      if (ep.protocol != "tcp" && ep.protocol != "http" && ep.protocol != "https")
        fail(ctx, n, child_path(epath, "protocol"), fmt::format("unsupported protocol '{}' (expected tcp or http)", ep.protocol));
    }
    if (!e["port"]) fail(ctx, e, epath, "missing required field 'port'");
    ep.port = static_cast<uint16_t>(get_u64(ctx, e["port"], child_path(epath, "port"), 65535));
    out.push_back(ep);
  }
  return out;
}

const std::set<std::string> kServiceKeys = {"image", "env", "command", "storage", "wasm", "wasm_http", "service_type",
                                            "scale", "restart_policy", "health", "endpoints"};
// zlayer service fields that have no meaning for an in-process WebAssembly workload.
const std::set<std::string> kIgnoredServiceKeys = {
    "rtype", "schedule", "resources", "network", "replica_groups", "depends", "init", "errors", "lifecycle",
    "isolation", "devices", "port_mappings", "capabilities", "cap_add", "cap_drop", "privileged", "node_mode",
    "node_selector", "affinity", "platform", "logs", "hostname", "dns", "extra_hosts", "labels", "user",
    "stop_signal", "stop_grace_period", "sysctls", "ulimits", "security_opt", "pid_mode", "ipc_mode",
    "network_mode", "extra_groups", "read_only_root_fs", "init_container", "tty", "stdin_open", "userns_mode",
    "cgroup_parent", "expose"};

ServiceSpec parse_service_node(const Ctx& ctx, const YAML::Node& node, const std::string& name, const std::string& path) {
  ServiceSpec s;
  s.name = name;
  check_map(ctx, node, path, kServiceKeys, kIgnoredServiceKeys, &s.warnings);
  if (!node["image"]) fail(ctx, node, path, "missing required field 'image'");
  s.image = parse_image(ctx, node["image"], child_path(path, "image"));
  if (auto n = node["env"]) {
    std::string epath = child_path(path, "env");
    if (n.IsMap()) {
      for (const auto& kv : n) {
        std::string key = get_string(ctx, kv.first, epath);
        if (key.empty() || key.find('=') != std::string::npos)
          fail(ctx, kv.first, epath, fmt::format("invalid variable name '{}'", key));
        if (!kv.second.IsScalar() && !kv.second.IsNull())
          fail(ctx, kv.second, child_path(epath, key), fmt::format("expected a string, got {}", kind_name(kv.second)));
        s.env[key] = kv.second.IsNull() ? "" : kv.second.Scalar();
      }
    } else if (!n.IsNull()) {
      fail(ctx, n, epath, fmt::format("expected a mapping of NAME: value, got {}", kind_name(n)));
    }
  }
  if (auto n = node["command"]) s.command = parse_command(ctx, n, child_path(path, "command"));
  if (auto n = node["storage"]) {
    std::string spath = child_path(path, "storage");
    if (!n.IsSequence()) fail(ctx, n, spath, fmt::format("expected a list, got {}", kind_name(n)));
    size_t i = 0;
    for (const auto& item : n) s.storage.push_back(parse_storage(ctx, item, fmt::format("{}[{}]", spath, i++)));
  }
  if (node["wasm"] && node["wasm_http"]) fail(ctx, node["wasm_http"], path, "give either 'wasm' or its old name 'wasm_http', not both");
  if (auto n = node["wasm"]) s.wasm = parse_wasm(ctx, n, child_path(path, "wasm"), s.warnings);
  if (auto n = node["wasm_http"]) s.wasm = parse_wasm(ctx, n, child_path(path, "wasm_http"), s.warnings);
  if (auto n = node["service_type"]) s.service_type = parse_service_type(ctx, n, child_path(path, "service_type"));
  if (auto n = node["scale"]) s.replicas = parse_scale(ctx, n, child_path(path, "scale"));
  if (auto n = node["restart_policy"]) s.restart_policy = parse_restart(ctx, n, child_path(path, "restart_policy"));
  if (auto n = node["endpoints"]) s.endpoints = parse_endpoints(ctx, n, child_path(path, "endpoints"));
  if (auto n = node["health"]) s.health = parse_health(ctx, n, child_path(path, "health"));
  if (s.health.type == HealthSpec::Type::Tcp && s.health.port == 0 && s.endpoints.empty())
    fail(ctx, node["health"], child_path(path, "health.check.port"), "port 0 means the first endpoint, but the service declares no endpoints");
  return s;
}

YAML::Node load_yaml(std::string_view yaml, const std::string& source) {
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw RuntimeError(RuntimeError::Kind::InvalidSpec, fmt::format("{}:{}: not valid YAML: {}", source, e.mark.line + 1, e.msg));
  }
}

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 63) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return std::isalnum(static_cast<unsigned char>(n.front()));
}

}  // namespace

const char* to_string(StorageSpec::Type type) {
  switch (type) {
    case StorageSpec::Type::Bind: return "bind";
    case StorageSpec::Type::Named: return "named";
    case StorageSpec::Type::Anonymous: return "anonymous";
    case StorageSpec::Type::Tmpfs: return "tmpfs";
    case StorageSpec::Type::S3: return "s3";
  }
  return "bind";
}

const char* to_string(ServiceType type) {
  switch (type) {
    case ServiceType::Standard: return "standard";
    case ServiceType::WasmHttp: return "wasm_http";
    case ServiceType::WasmPlugin: return "wasm_plugin";
    case ServiceType::WasmTransformer: return "wasm_transformer";
    case ServiceType::WasmAuthenticator: return "wasm_authenticator";
    case ServiceType::WasmRateLimiter: return "wasm_rate_limiter";
    case ServiceType::WasmMiddleware: return "wasm_middleware";
    case ServiceType::WasmRouter: return "wasm_router";
    case ServiceType::Job: return "job";
  }
  return "standard";
}

const char* to_string(RestartPolicy::Kind kind) {
  switch (kind) {
    case RestartPolicy::Kind::No: return "no";
    case RestartPolicy::Kind::OnFailure: return "on_failure";
    case RestartPolicy::Kind::Always: return "always";
    case RestartPolicy::Kind::UnlessStopped: return "unless_stopped";
  }
  return "no";
}

const ServiceSpec* DeploymentSpec::find(std::string_view service) const {
  for (const auto& s : services)
    if (s.name == service) return &s;
  return nullptr;
}

DeploymentSpec parse_deployment(std::string_view yaml, const std::string& source) {
  Ctx ctx{source};
  YAML::Node root = load_yaml(yaml, source);
  if (!root.IsMap()) fail(ctx, root, "(document)", "expected a mapping with version, deployment and services");
  check_map(ctx, root, "", {"version", "deployment", "services"}, {"tunnels", "api"});
  DeploymentSpec d;
  if (!root["version"]) fail(ctx, root, "version", "missing required field 'version' (v1)");
  d.version = get_string(ctx, root["version"], "version");
  if (d.version != "v1") fail(ctx, root["version"], "version", fmt::format("unsupported version '{}' (expected v1)", d.version));
  if (!root["deployment"]) fail(ctx, root, "deployment", "missing required field 'deployment'");
  d.deployment = get_string(ctx, root["deployment"], "deployment");
  if (!valid_name(d.deployment))
    fail(ctx, root["deployment"], "deployment", fmt::format("invalid deployment name '{}': letters, digits, - and _ only", d.deployment));
  YAML::Node services = root["services"];
  if (!services || services.IsNull()) fail(ctx, root, "services", "missing required field 'services'");
  if (!services.IsMap()) fail(ctx, services, "services", fmt::format("expected a mapping of service names, got {}", kind_name(services)));
  for (const auto& kv : services) {
    std::string name = get_string(ctx, kv.first, "services");
    if (!valid_name(name) || name.find("-rep-") != std::string::npos)
      fail(ctx, kv.first, "services." + name, fmt::format("invalid service name '{}': letters, digits, - and _ only (and no '-rep-')", name));
    d.services.push_back(parse_service_node(ctx, kv.second, name, "services." + name));
  }
  if (d.services.empty()) fail(ctx, services, "services", "no services defined");
  return d;
}

DeploymentSpec load_deployment(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("cannot read spec file '{}'", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_deployment(ss.str(), path);
}

ServiceSpec parse_service(std::string_view yaml, const std::string& name, const std::string& source) {
  Ctx ctx{source};
  YAML::Node node = load_yaml(yaml, source);
  return parse_service_node(ctx, node, name, "services." + name);
}

std::optional<WasmCapabilities> default_capabilities(ServiceType type) {
  auto caps = [](bool config, bool keyvalue, bool logging, bool secrets, bool metrics, bool http, bool cli, bool fs, bool sockets) {
    return WasmCapabilities{config, keyvalue, logging, secrets, metrics, http, cli, fs, sockets};
  };
  switch (type) {
    case ServiceType::WasmHttp:
    case ServiceType::WasmRouter: return caps(true, true, true, false, false, true, false, false, false);
    case ServiceType::WasmPlugin: return caps(true, true, true, true, true, true, true, true, false);
    case ServiceType::WasmTransformer: return caps(false, false, true, false, false, false, true, false, false);
    case ServiceType::WasmAuthenticator: return caps(true, false, true, true, false, true, false, false, false);
    case ServiceType::WasmRateLimiter: return caps(true, true, true, false, true, false, true, false, false);
    case ServiceType::WasmMiddleware: return caps(true, false, true, false, false, true, false, false, false);
    default: return std::nullopt;
  }
}

namespace {

std::string duration_text(std::chrono::nanoseconds d) {
  auto ns = d.count();
  if (ns % 1000000000 == 0) return fmt::format("{}s", ns / 1000000000);
  if (ns % 1000000 == 0) return fmt::format("{}ms", ns / 1000000);
  if (ns % 1000 == 0) return fmt::format("{}us", ns / 1000);
  return fmt::format("{}ns", ns);
}

}  // namespace

std::string to_yaml(const ServiceSpec& s) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "image" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted
    << s.image.name << YAML::Key << "pull_policy" << YAML::Value << to_string(s.image.pull_policy) << YAML::EndMap;
  if (!s.env.empty()) {
    e << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : s.env) e << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
    e << YAML::EndMap;
  }
  if (s.command.entrypoint || s.command.args || s.command.workdir) {
    e << YAML::Key << "command" << YAML::Value << YAML::BeginMap;
    auto list = [&](const char* key, const std::optional<std::vector<std::string>>& v) {
      if (!v) return;
      e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& a : *v) e << YAML::DoubleQuoted << a;
      e << YAML::EndSeq;
    };
    list("entrypoint", s.command.entrypoint);
    list("args", s.command.args);
    if (s.command.workdir) e << YAML::Key << "workdir" << YAML::Value << YAML::DoubleQuoted << *s.command.workdir;
    e << YAML::EndMap;
  }
  if (!s.storage.empty()) {
    e << YAML::Key << "storage" << YAML::Value << YAML::BeginSeq;
    for (const auto& m : s.storage) {
      e << YAML::BeginMap << YAML::Key << "type" << YAML::Value << to_string(m.type);
      if (m.type == StorageSpec::Type::Bind) e << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << m.source;
      if (m.type == StorageSpec::Type::Named) e << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << m.name;
      if (m.type == StorageSpec::Type::S3) e << YAML::Key << "bucket" << YAML::Value << YAML::DoubleQuoted << m.bucket;
      e << YAML::Key << "target" << YAML::Value << YAML::DoubleQuoted << m.target;
      if (m.type != StorageSpec::Type::Tmpfs && m.type != StorageSpec::Type::Anonymous)
        e << YAML::Key << "readonly" << YAML::Value << m.readonly;
      if (m.size && (m.type == StorageSpec::Type::Named || m.type == StorageSpec::Type::Tmpfs))
        e << YAML::Key << "size" << YAML::Value << *m.size;
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  if (s.wasm) {
    const WasmConfig& w = *s.wasm;
    e << YAML::Key << "wasm" << YAML::Value << YAML::BeginMap;
    if (w.max_memory) e << YAML::Key << "max_memory" << YAML::Value << *w.max_memory;
    e << YAML::Key << "max_fuel" << YAML::Value << w.max_fuel;
    if (w.epoch_interval) e << YAML::Key << "epoch_interval" << YAML::Value << duration_text(*w.epoch_interval);
    if (w.request_timeout) e << YAML::Key << "request_timeout" << YAML::Value << duration_text(*w.request_timeout);
    if (w.capabilities) {
      const auto& c = *w.capabilities;
      e << YAML::Key << "capabilities" << YAML::Value << YAML::BeginMap << YAML::Key << "config" << YAML::Value << c.config
        << YAML::Key << "keyvalue" << YAML::Value << c.keyvalue << YAML::Key << "logging" << YAML::Value << c.logging
        << YAML::Key << "secrets" << YAML::Value << c.secrets << YAML::Key << "metrics" << YAML::Value << c.metrics
        << YAML::Key << "http_client" << YAML::Value << c.http_client << YAML::Key << "cli" << YAML::Value << c.cli
        << YAML::Key << "filesystem" << YAML::Value << c.filesystem << YAML::Key << "sockets" << YAML::Value << c.sockets
        << YAML::EndMap;
    }
    if (!w.preopens.empty()) {
      e << YAML::Key << "preopens" << YAML::Value << YAML::BeginSeq;
      for (const auto& p : w.preopens)
        e << YAML::BeginMap << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << p.source << YAML::Key << "target"
          << YAML::Value << YAML::DoubleQuoted << p.target << YAML::Key << "readonly" << YAML::Value << p.readonly << YAML::EndMap;
      e << YAML::EndSeq;
    }
    e << YAML::EndMap;
  }
  e << YAML::Key << "service_type" << YAML::Value << to_string(s.service_type);
  e << YAML::Key << "scale" << YAML::Value << YAML::BeginMap << YAML::Key << "mode" << YAML::Value << "fixed" << YAML::Key
    << "replicas" << YAML::Value << s.replicas << YAML::EndMap;
  e << YAML::Key << "restart_policy" << YAML::Value << YAML::BeginMap << YAML::Key << "kind" << YAML::Value
    << to_string(s.restart_policy.kind);
  if (s.restart_policy.max_attempts) e << YAML::Key << "max_attempts" << YAML::Value << *s.restart_policy.max_attempts;
  e << YAML::Key << "delay" << YAML::Value << duration_text(s.restart_policy.delay) << YAML::EndMap;
  if (!s.endpoints.empty()) {
    e << YAML::Key << "endpoints" << YAML::Value << YAML::BeginSeq;
    for (const auto& ep : s.endpoints)
      e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << ep.name << YAML::Key << "protocol"
        << YAML::Value << ep.protocol << YAML::Key << "port" << YAML::Value << ep.port << YAML::EndMap;
    e << YAML::EndSeq;
  }
  if (s.health.type != HealthSpec::Type::None) {
    const auto& h = s.health;
    e << YAML::Key << "health" << YAML::Value << YAML::BeginMap << YAML::Key << "start_grace" << YAML::Value
      << duration_text(h.start_grace) << YAML::Key << "interval" << YAML::Value << duration_text(h.interval) << YAML::Key
      << "timeout" << YAML::Value << duration_text(h.timeout) << YAML::Key << "retries" << YAML::Value << h.retries
      << YAML::Key << "check" << YAML::Value << YAML::BeginMap;
    if (h.type == HealthSpec::Type::Tcp)
      e << YAML::Key << "type" << YAML::Value << "tcp" << YAML::Key << "port" << YAML::Value << h.port;
    else
      e << YAML::Key << "type" << YAML::Value << "http" << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << h.url
        << YAML::Key << "expect_status" << YAML::Value << h.expect_status;
    e << YAML::EndMap << YAML::EndMap;
  }
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace wasmlet::runtime
