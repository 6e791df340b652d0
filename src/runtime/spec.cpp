// Deployment spec parsing and emitting (yaml-cpp). Each struct has one field
// table: its keys are the known fields, each entry reads, checks and writes
// one field, so a field cannot be parsed and then forgotten by to_yaml.
// Every error names the file, the line and the dotted path of the field:
// "spec.yaml:7: services.web.wasm.max_fuel: expected a non-negative integer, got 'lots'".
#include "wasmlet/runtime/spec.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "wasmlet/byte_size.h"
#include "wasmlet/duration.h"

namespace wasmlet::runtime {

namespace {

struct Ctx {
  const std::string& source;
  std::vector<std::string>* warnings = nullptr;  // where ignored zlayer fields are reported
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

std::string child_path(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// Checks that `node` is a mapping whose keys are all in `known` (or in
// `ignored`, zlayer fields wasmlet accepts but does not use: a warning).
void check_map(const Ctx& ctx, const YAML::Node& node, const std::string& path, const std::set<std::string>& known,
               const std::set<std::string>& ignored = {}) {
  if (!node.IsMap()) fail(ctx, node, path, fmt::format("expected a mapping, got {}", kind_name(node)));
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) fail(ctx, kv.first, path, "keys must be plain names");
    const std::string& key = kv.first.Scalar();
    if (known.count(key)) continue;
    if (ignored.count(key)) {
      if (ctx.warnings)
        ctx.warnings->push_back(fmt::format("{}:{}: {} is accepted for zlayer compatibility and ignored by wasmlet",
                                            ctx.source, kv.first.Mark().line + 1, child_path(path, key)));
      continue;
    }
    fail(ctx, kv.first, child_path(path, key), fmt::format("unknown field '{}' (known fields: {})", key, join(known)));
  }
}

// ---- scalar values: read (with the error naming the field) and write ----

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

void read_value(const Ctx& ctx, const YAML::Node& n, const std::string& path, std::string& v) { v = get_string(ctx, n, path); }
void read_value(const Ctx& ctx, const YAML::Node& n, const std::string& path, bool& v) { v = get_bool(ctx, n, path); }
void read_value(const Ctx& ctx, const YAML::Node& n, const std::string& path, std::chrono::nanoseconds& v) {
  v = get_duration(ctx, n, path);
}
void read_value(const Ctx& ctx, const YAML::Node& n, const std::string& path, std::vector<std::string>& v) {
  v = get_string_list(ctx, n, path);
}
template <class T>
  requires std::is_integral_v<T>
void read_value(const Ctx& ctx, const YAML::Node& n, const std::string& path, T& v) {
  v = static_cast<T>(get_u64(ctx, n, path, std::numeric_limits<T>::max()));
}
template <class T>
void read_value(const Ctx& ctx, const YAML::Node& n, const std::string& path, std::optional<T>& v) {
  read_value(ctx, n, path, v.emplace());
}

void write_value(YAML::Emitter& e, const std::string& v) { e << YAML::DoubleQuoted << v; }
void write_value(YAML::Emitter& e, bool v) { e << v; }
void write_value(YAML::Emitter& e, std::chrono::nanoseconds v) { e << format_duration(v); }
void write_value(YAML::Emitter& e, const std::vector<std::string>& v) {
  e << YAML::Flow << YAML::BeginSeq;
  for (const auto& a : v) e << YAML::DoubleQuoted << a;
  e << YAML::EndSeq;
}
template <class T>
  requires std::is_integral_v<T>
void write_value(YAML::Emitter& e, T v) {
  e << static_cast<uint64_t>(v);
}
template <class T>
void write_value(YAML::Emitter& e, const std::optional<T>& v) {
  write_value(e, *v);
}

template <class T>
bool has_value(const T&) { return true; }
template <class T>
bool has_value(const std::optional<T>& v) { return v.has_value(); }

// ---- field tables ----

template <class S>
using Check = std::function<void(const Ctx&, const YAML::Node&, const std::string& path, const S&)>;

template <class S>
struct Field {
  std::string key;
  std::function<void(const Ctx&, const YAML::Node&, const std::string& path, S&)> read;
  std::function<void(YAML::Emitter&, const S&)> write;   // the value; its key is written by write_fields
  std::function<bool(const S&)> present = [](const S&) { return true; };  // false: nothing is written
  const char* required = nullptr;  // when set: the key must be there; the text is added to the message
};

// A struct's fields, the zlayer keys it accepts and ignores, and the checks
// that concern several fields at once.
template <class S>
struct Schema {
  std::vector<Field<S>> fields;
  std::set<std::string> ignored = {};
  Check<S> check = nullptr;

  std::set<std::string> keys() const {
    std::set<std::string> out;
    for (const auto& f : fields) out.insert(f.key);
    return out;
  }
};

// A field that is a plain member; `check` validates the value read.
template <class S, class M>
Field<S> member(const char* key, M S::*m, std::function<void(const Ctx&, const YAML::Node&, const std::string&, const M&)> check = {}) {
  return Field<S>{
      key,
      [m, check](const Ctx& ctx, const YAML::Node& n, const std::string& path, S& s) {
        read_value(ctx, n, path, s.*m);
        if (check) check(ctx, n, path, s.*m);
      },
      [m](YAML::Emitter& e, const S& s) { write_value(e, s.*m); },
      [m](const S& s) { return has_value(s.*m); }};
}

template <class S>
Field<S> required(Field<S> f, const char* hint = "") {
  f.required = hint;
  return f;
}

// Reads the fields of `schema` present in `node` into `s` (only `keys`, when given).
template <class S>
void read_fields(const Ctx& ctx, const YAML::Node& node, const std::string& path, const Schema<S>& schema, S& s,
                 const std::set<std::string>* keys = nullptr) {
  auto known = keys ? *keys : schema.keys();
  check_map(ctx, node, path, known, schema.ignored);
  for (const auto& f : schema.fields)
    if (f.required && known.count(f.key) && !node[f.key])
      fail(ctx, node, path, fmt::format("missing required field '{}'{}", f.key, f.required));
  for (const auto& f : schema.fields)
    if (known.count(f.key))
      if (auto n = node[f.key]) f.read(ctx, n, child_path(path, f.key), s);
  if (schema.check) schema.check(ctx, node, path, s);
}

template <class S>
void write_fields(YAML::Emitter& e, const Schema<S>& schema, const S& s, const std::set<std::string>* keys = nullptr) {
  e << YAML::BeginMap;
  for (const auto& f : schema.fields) {
    if ((keys && !keys->count(f.key)) || !f.present(s)) continue;
    e << YAML::Key << f.key << YAML::Value;
    f.write(e, s);
  }
  e << YAML::EndMap;
}

// A member that is itself a struct with a schema (or an optional one).
template <class S, class M>
Field<S> nested(const char* key, M S::*m, const Schema<M>& schema) {
  return Field<S>{key,
                  [m, &schema](const Ctx& ctx, const YAML::Node& n, const std::string& path, S& s) {
                    read_fields(ctx, n, path, schema, s.*m);
                  },
                  [m, &schema](YAML::Emitter& e, const S& s) { write_fields(e, schema, s.*m); }};
}
template <class S, class M>
Field<S> nested(const char* key, std::optional<M> S::*m, const Schema<M>& schema) {
  return Field<S>{key,
                  [m, &schema](const Ctx& ctx, const YAML::Node& n, const std::string& path, S& s) {
                    read_fields(ctx, n, path, schema, (s.*m).emplace());
                  },
                  [m, &schema](YAML::Emitter& e, const S& s) { write_fields(e, schema, *(s.*m)); },
                  [m](const S& s) { return (s.*m).has_value(); }};
}

// A list of structs; `read_item` and `write_item` handle one element.
template <class S, class M>
Field<S> list_of(const char* key, std::vector<M> S::*m,
                 std::function<M(const Ctx&, const YAML::Node&, const std::string&)> read_item,
                 std::function<void(YAML::Emitter&, const M&)> write_item) {
  return Field<S>{key,
                  [m, read_item](const Ctx& ctx, const YAML::Node& n, const std::string& path, S& s) {
                    if (!n.IsSequence()) fail(ctx, n, path, fmt::format("expected a list, got {}", kind_name(n)));
                    size_t i = 0;
                    for (const auto& item : n) (s.*m).push_back(read_item(ctx, item, fmt::format("{}[{}]", path, i++)));
                  },
                  [m, write_item](YAML::Emitter& e, const S& s) {
                    e << YAML::BeginSeq;
                    for (const auto& item : s.*m) write_item(e, item);
                    e << YAML::EndSeq;
                  },
                  [m](const S& s) { return !(s.*m).empty(); }};
}
template <class S, class M>
Field<S> list_of(const char* key, std::vector<M> S::*m, const Schema<M>& schema) {
  return list_of<S, M>(
      key, m,
      [&schema](const Ctx& ctx, const YAML::Node& n, const std::string& path) {
        M item;
        read_fields(ctx, n, path, schema, item);
        return item;
      },
      [&schema](YAML::Emitter& e, const M& item) { write_fields(e, schema, item); });
}

// An enum member spelled by `names` (value, name) pairs; `expected` lists them for the message.
template <class S, class E>
Field<S> enumeration(const char* key, E S::*m, std::vector<std::pair<E, std::string>> names, std::string what) {
  return Field<S>{key,
                  [m, names, what](const Ctx& ctx, const YAML::Node& n, const std::string& path, S& s) {
                    std::string text = get_string(ctx, n, path);
                    for (const auto& [value, name] : names)
                      if (text == name) {
                        s.*m = value;
                        return;
                      }
                    fail(ctx, n, path, fmt::format("unknown {} '{}' (expected {})", what, text, [&] {
                           std::string out;
                           for (size_t i = 0; i < names.size(); ++i)
                             out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i].second;
                           return out;
                         }()));
                  },
                  [m, names](YAML::Emitter& e, const S& s) {
                    for (const auto& [value, name] : names)
                      if (s.*m == value) e << name;
                  }};
}

// ---- the schemas ----

void check_size(const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::optional<std::string>& v) {
  try {
    if (parse_byte_size(*v) == 0) throw UsageError("zero");
  } catch (const Error&) {
    fail(ctx, n, path, fmt::format("expected a size like 64Mi or 1Gi, got '{}'", *v));
  }
}

void check_absolute(const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::string& v) {
  if (v.empty() || v[0] != '/') fail(ctx, n, path, fmt::format("the target must be an absolute guest path, got '{}'", v));
}

const Schema<ImageSpec> kImage{{
    required(member("name", &ImageSpec::name,
                    {[](const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::string& v) {
                      if (v.empty()) fail(ctx, n, path, "the image name must not be empty");
                    }})),
    Field<ImageSpec>{"pull_policy",
                     [](const Ctx& ctx, const YAML::Node& n, const std::string& path, ImageSpec& s) {
                       try {
                         s.pull_policy = parse_pull_policy(get_string(ctx, n, path));
                       } catch (const UsageError&) {
                         fail(ctx, n, path, fmt::format("expected always, if_not_present or never, got {}", kind_name(n)));
                       }
                     },
                     [](YAML::Emitter& e, const ImageSpec& s) { e << to_string(s.pull_policy); }},
}};

const Schema<CommandSpec> kCommand{{
    member("entrypoint", &CommandSpec::entrypoint),
    member("args", &CommandSpec::args),
    member("workdir", &CommandSpec::workdir),
}};

// Storage keys depend on the type; the schema holds them all and
// kStorageKeys says which each type takes.
const std::map<StorageSpec::Type, std::set<std::string>> kStorageKeys = {
    {StorageSpec::Type::Bind, {"type", "source", "target", "readonly"}},
    {StorageSpec::Type::Named, {"type", "name", "target", "readonly", "size"}},
    {StorageSpec::Type::Anonymous, {"type", "target"}},
    {StorageSpec::Type::Tmpfs, {"type", "target", "size"}},
    {StorageSpec::Type::S3, {"type", "bucket", "target", "readonly"}},
};

const Schema<StorageSpec> kStorage{
    {
        enumeration<StorageSpec>("type", &StorageSpec::type,
                                 {{StorageSpec::Type::Bind, "bind"},
                                  {StorageSpec::Type::Named, "named"},
                                  {StorageSpec::Type::Anonymous, "anonymous"},
                                  {StorageSpec::Type::Tmpfs, "tmpfs"},
                                  {StorageSpec::Type::S3, "s3"}},
                                 "storage type"),
        required(member("source", &StorageSpec::source)),
        required(member("name", &StorageSpec::name,
                        {[](const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::string& v) {
                          if (v.empty() || v.find('/') != std::string::npos || v == "." || v == "..")
                            fail(ctx, n, path, fmt::format("invalid volume name '{}': use letters, digits, - _ .", v));
                        }})),
        required(member("bucket", &StorageSpec::bucket)),
        required(member("target", &StorageSpec::target, {check_absolute})),
        member("readonly", &StorageSpec::readonly),
        Field<StorageSpec>{"size",
                           [](const Ctx& ctx, const YAML::Node& n, const std::string& path, StorageSpec& s) {
                             s.size = get_string(ctx, n, path);
                             try {
                               parse_byte_size(*s.size);
                             } catch (const Error&) {
                               fail(ctx, n, path, fmt::format("expected a size like 64Mi, got '{}'", *s.size));
                             }
                           },
                           [](YAML::Emitter& e, const StorageSpec& s) { e << *s.size; },
                           [](const StorageSpec& s) { return s.size.has_value(); }},
    },
    // tier (named, anonymous), mode (tmpfs) and the s3 details mean nothing to a WASI guest.
    {"tier", "mode", "prefix", "endpoint", "credentials"}};

StorageSpec read_storage(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  StorageSpec s;
  s.line.value = node.Mark().line + 1;
  if (!node.IsMap()) fail(ctx, node, path, fmt::format("expected a mapping, got {}", kind_name(node)));
  if (!node["type"]) fail(ctx, node, path, "missing required field 'type' (bind, named, anonymous, tmpfs or s3)");
  kStorage.fields.front().read(ctx, node["type"], child_path(path, "type"), s);
  read_fields(ctx, node, path, kStorage, s, &kStorageKeys.at(s.type));
  return s;
}

void write_storage(YAML::Emitter& e, const StorageSpec& s) { write_fields(e, kStorage, s, &kStorageKeys.at(s.type)); }

const Schema<WasmCapabilities> kCapabilities{{
    member("config", &WasmCapabilities::config),
    member("keyvalue", &WasmCapabilities::keyvalue),
    member("logging", &WasmCapabilities::logging),
    member("secrets", &WasmCapabilities::secrets),
    member("metrics", &WasmCapabilities::metrics),
    member("http_client", &WasmCapabilities::http_client),
    member("cli", &WasmCapabilities::cli),
    member("filesystem", &WasmCapabilities::filesystem),
    member("sockets", &WasmCapabilities::sockets),
}};

const Schema<WasmPreopen> kPreopen{{
    required(member("source", &WasmPreopen::source)),
    required(member("target", &WasmPreopen::target, {check_absolute})),  // as storage targets
    member("readonly", &WasmPreopen::readonly),
}};

void check_host_name(const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::vector<std::string>& hosts) {
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string& h = hosts[i];
    in6_addr v6{};
    bool bad = h.empty() || h.find_first_of("/ \t@") != std::string::npos ||
               (h.find(':') != std::string::npos && inet_pton(AF_INET6, h.c_str(), &v6) != 1);
    if (bad)
      fail(ctx, n[i], fmt::format("{}[{}]", path, i),
           fmt::format("expected a host name or an IP address (no scheme, port or path), got '{}'", h));
  }
}

const Schema<WasmConfig> kWasm{
    {
        member("max_memory", &WasmConfig::max_memory, {check_size}),
        member("max_fuel", &WasmConfig::max_fuel),
        member("epoch_interval", &WasmConfig::epoch_interval),
        member("request_timeout", &WasmConfig::request_timeout,
               {[](const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::optional<std::chrono::nanoseconds>& v) {
                 if (v->count() <= 0) fail(ctx, n, path, "the limit must be more than 0 (remove the field for no limit)");
               }}),
        nested("capabilities", &WasmConfig::capabilities, kCapabilities),
        list_of("preopens", &WasmConfig::preopens, kPreopen),
        member("min_instances", &WasmConfig::min_instances),
        member("max_instances", &WasmConfig::max_instances),
        member("allow_tcp", &WasmConfig::allow_tcp),
        member("allow_udp", &WasmConfig::allow_udp),
        member("allowed_hosts", &WasmConfig::allowed_hosts, {check_host_name}),
        member("allow_http_outgoing", &WasmConfig::allow_http_outgoing),
        member("precompile", &WasmConfig::precompile),
        member("secrets", &WasmConfig::secrets),
    },
    // zlayer's instance pool timeout and key-value store: wasmlet has neither.
    {"idle_timeout", "kv_enabled", "kv_namespace", "kv_max_value_size"},
    [](const Ctx& ctx, const YAML::Node& node, const std::string& path, const WasmConfig& w) {
      if (w.min_instances > w.max_instances)
        fail(ctx, node["min_instances"], child_path(path, "min_instances"),
             fmt::format("min_instances {} is more than max_instances {}", w.min_instances, w.max_instances));
      if (!w.secrets.empty())
        fail(ctx, node["secrets"], child_path(path, "secrets"),
             "secrets are not supported yet: wasmlet has no secret store to give them from (remove the list)");
      if (!w.allow_http_outgoing && w.allow_tcp)
        fail(ctx, node["allow_http_outgoing"], child_path(path, "allow_http_outgoing"),
             "false cannot be enforced together with allow_tcp: true: wasmlet gives guests no HTTP client of its own, "
             "so outgoing HTTP is a TCP connection (set allow_tcp: false, or use allowed_hosts to limit where it goes)");
    }};

const Schema<EndpointSpec> kEndpoint{
    {
        member("name", &EndpointSpec::name),
        member("protocol", &EndpointSpec::protocol,
               {[](const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::string& v) {
                 if (v != "tcp" && v != "http" && v != "https")
                   fail(ctx, n, path, fmt::format("unsupported protocol '{}' (expected tcp or http)", v));
               }}),
        required(member("port", &EndpointSpec::port)),
    },
    {"target_port", "path", "expose", "stream", "tunnel", "host"}};

// health.check is {type: tcp, port} or {type: http, url, expect_status}.
void read_health_check(const Ctx& ctx, const YAML::Node& c, const std::string& cpath, HealthSpec& h) {
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
    if (!c["url"]) fail(ctx, c, cpath, "missing required field 'url'");
    h.url = get_string(ctx, c["url"], child_path(cpath, "url"));
    if (!h.url.starts_with("http://"))
      fail(ctx, c["url"], child_path(cpath, "url"), fmt::format("only http:// URLs can be checked, got '{}'", h.url));
    // The probe reads the port after the last ':' of the host part: digits, 1-65535, or none (80).
    std::string hostport = h.url.substr(7, h.url.find('/', 7) == std::string::npos ? std::string::npos : h.url.find('/', 7) - 7);
    if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
      std::string port = hostport.substr(colon + 1);
      bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoul(port) < 1 || std::stoul(port) > 65535)
        fail(ctx, c["url"], child_path(cpath, "url"),
             fmt::format("the port in '{}' must be a number from 1 to 65535, e.g. http://127.0.0.1:8080/healthz", h.url));
    }
    if (auto n = c["expect_status"]) h.expect_status = static_cast<uint16_t>(get_u64(ctx, n, child_path(cpath, "expect_status"), 999));
  } else if (type == "command") {
    fail(ctx, c["type"], child_path(cpath, "type"), "command health checks are not supported for WebAssembly workloads (use tcp or http)");
  } else {
    fail(ctx, c["type"], child_path(cpath, "type"), fmt::format("unknown health check type '{}' (expected tcp or http)", type));
  }
}

void write_health_check(YAML::Emitter& e, const HealthSpec& h) {
  e << YAML::BeginMap;
  if (h.type == HealthSpec::Type::Tcp)
    e << YAML::Key << "type" << YAML::Value << "tcp" << YAML::Key << "port" << YAML::Value << h.port;
  else
    e << YAML::Key << "type" << YAML::Value << "http" << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << h.url
      << YAML::Key << "expect_status" << YAML::Value << h.expect_status;
  e << YAML::EndMap;
}

// Probes run one after another, every interval: a shorter one is a busy loop.
constexpr std::chrono::milliseconds kMinHealthInterval{100};

const Schema<HealthSpec> kHealth{{
    member("start_grace", &HealthSpec::start_grace),
    member("interval", &HealthSpec::interval,
           {[](const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::chrono::nanoseconds& v) {
             if (v < kMinHealthInterval)
               fail(ctx, n, path, fmt::format("{} is too short: the probe would run back to back; give at least {} (default 10s)",
                                              format_duration(v), format_duration(kMinHealthInterval)));
           }}),
    member("timeout", &HealthSpec::timeout,
           {[](const Ctx& ctx, const YAML::Node& n, const std::string& path, const std::chrono::nanoseconds& v) {
             if (v.count() <= 0) fail(ctx, n, path, "the probe's timeout must be more than 0 (default 2s)");
           }}),
    member("retries", &HealthSpec::retries,
           {[](const Ctx& ctx, const YAML::Node& n, const std::string& path, const uint32_t& v) {
             if (v > 1000) fail(ctx, n, path, fmt::format("{} is too large (at most 1000)", v));
           }}),
    required(Field<HealthSpec>{"check", read_health_check, write_health_check}),
}};

RestartPolicy::Kind restart_kind(const Ctx& ctx, const YAML::Node& at, const std::string& path, const std::string& s) {
  if (s == "no" || s == "never") return RestartPolicy::Kind::No;
  if (s == "always") return RestartPolicy::Kind::Always;
  if (s == "on_failure" || s == "on-failure") return RestartPolicy::Kind::OnFailure;
  if (s == "unless_stopped" || s == "unless-stopped") return RestartPolicy::Kind::UnlessStopped;
  fail(ctx, at, path, fmt::format("unknown restart policy '{}' (expected no, on_failure[:N], always or unless_stopped)", s));
}

const Schema<RestartPolicy> kRestart{{
    required(Field<RestartPolicy>{
        "kind",
        [](const Ctx& ctx, const YAML::Node& n, const std::string& path, RestartPolicy& p) {
          // The message names the policy, not its kind field (as for the shorthand).
          p.kind = restart_kind(ctx, n, path.substr(0, path.rfind('.')), get_string(ctx, n, path));
        },
        [](YAML::Emitter& e, const RestartPolicy& p) { e << to_string(p.kind); }}),
    member("max_attempts", &RestartPolicy::max_attempts),
    member("delay", &RestartPolicy::delay),
}};

RestartPolicy read_restart(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
  RestartPolicy p;
  if (!node.IsScalar()) {
    read_fields(ctx, node, path, kRestart, p);
    return p;
  }
  // docker-style shorthand: "on-failure:3"
  std::string s = node.Scalar();
  auto colon = s.find(':');
  p.kind = restart_kind(ctx, node, path, s.substr(0, colon));
  if (colon != std::string::npos) {
    if (p.kind != RestartPolicy::Kind::OnFailure) fail(ctx, node, path, "only on-failure takes a maximum (on-failure:N)");
    uint32_t v = 0;
    std::string num = s.substr(colon + 1);
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (num.empty() || ec != std::errc() || end != num.data() + num.size())
      fail(ctx, node, path, fmt::format("expected on-failure:N with a number N, got '{}'", s));
    p.max_attempts = v;
  }
  return p;
}

// scale is {mode: fixed, replicas}, {mode: adaptive, min, ...} (min replicas run) or {mode: manual} (one).
uint32_t read_scale(const Ctx& ctx, const YAML::Node& node, const std::string& path) {
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

void read_env(const Ctx& ctx, const YAML::Node& n, const std::string& epath, ServiceSpec& s) {
  if (n.IsNull()) return;
  if (!n.IsMap()) fail(ctx, n, epath, fmt::format("expected a mapping of NAME: value, got {}", kind_name(n)));
  for (const auto& kv : n) {
    std::string key = get_string(ctx, kv.first, epath);
    if (key.empty() || key.find('=') != std::string::npos) fail(ctx, kv.first, epath, fmt::format("invalid variable name '{}'", key));
    if (!kv.second.IsScalar() && !kv.second.IsNull())
      fail(ctx, kv.second, child_path(epath, key), fmt::format("expected a string, got {}", kind_name(kv.second)));
    s.env[key] = kv.second.IsNull() ? "" : kv.second.Scalar();
  }
}

const Schema<ServiceSpec> kService{
    {
        required(Field<ServiceSpec>{
            "image",
            [](const Ctx& ctx, const YAML::Node& n, const std::string& path, ServiceSpec& s) {
              if (n.IsScalar()) {  // shorthand: image: ghcr.io/org/app:1
                s.image.name = n.Scalar();
                if (s.image.name.empty()) fail(ctx, n, child_path(path, "name"), "the image name must not be empty");
              } else {
                read_fields(ctx, n, path, kImage, s.image);
              }
            },
            [](YAML::Emitter& e, const ServiceSpec& s) { write_fields(e, kImage, s.image); }}),
        Field<ServiceSpec>{"env", read_env,
                           [](YAML::Emitter& e, const ServiceSpec& s) {
                             e << YAML::BeginMap;
                             for (const auto& [k, v] : s.env) e << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
                             e << YAML::EndMap;
                           },
                           [](const ServiceSpec& s) { return !s.env.empty(); }},
        nested("command", &ServiceSpec::command, kCommand),
        list_of<ServiceSpec, StorageSpec>("storage", &ServiceSpec::storage, read_storage, write_storage),
        nested("wasm", &ServiceSpec::wasm, kWasm),
        // zlayer's older name of `wasm`: read, never written.
        Field<ServiceSpec>{"wasm_http",
                           [](const Ctx& ctx, const YAML::Node& n, const std::string& path, ServiceSpec& s) {
                             read_fields(ctx, n, path, kWasm, s.wasm.emplace());
                           },
                           [](YAML::Emitter&, const ServiceSpec&) {}, [](const ServiceSpec&) { return false; }},
        enumeration<ServiceSpec>("service_type", &ServiceSpec::service_type,
                                 {{ServiceType::Standard, "standard"},
                                  {ServiceType::WasmHttp, "wasm_http"},
                                  {ServiceType::WasmPlugin, "wasm_plugin"},
                                  {ServiceType::WasmTransformer, "wasm_transformer"},
                                  {ServiceType::WasmAuthenticator, "wasm_authenticator"},
                                  {ServiceType::WasmRateLimiter, "wasm_rate_limiter"},
                                  {ServiceType::WasmMiddleware, "wasm_middleware"},
                                  {ServiceType::WasmRouter, "wasm_router"},
                                  {ServiceType::Job, "job"}},
                                 "service type"),
        Field<ServiceSpec>{"scale",
                           [](const Ctx& ctx, const YAML::Node& n, const std::string& path, ServiceSpec& s) {
                             s.replicas = read_scale(ctx, n, path);
                           },
                           [](YAML::Emitter& e, const ServiceSpec& s) {
                             e << YAML::BeginMap << YAML::Key << "mode" << YAML::Value << "fixed" << YAML::Key << "replicas"
                               << YAML::Value << s.replicas << YAML::EndMap;
                           }},
        Field<ServiceSpec>{"restart_policy",
                           [](const Ctx& ctx, const YAML::Node& n, const std::string& path, ServiceSpec& s) {
                             s.restart_policy = read_restart(ctx, n, path);
                           },
                           [](YAML::Emitter& e, const ServiceSpec& s) { write_fields(e, kRestart, s.restart_policy); }},
        list_of("endpoints", &ServiceSpec::endpoints, kEndpoint),
        Field<ServiceSpec>{"health",
                           [](const Ctx& ctx, const YAML::Node& n, const std::string& path, ServiceSpec& s) {
                             read_fields(ctx, n, path, kHealth, s.health);
                           },
                           [](YAML::Emitter& e, const ServiceSpec& s) { write_fields(e, kHealth, s.health); },
                           [](const ServiceSpec& s) { return s.health.type != HealthSpec::Type::None; }},
    },
    // zlayer service fields that have no meaning for an in-process WebAssembly workload.
    {"rtype", "schedule", "resources", "network", "replica_groups", "depends", "init", "errors", "lifecycle",
     "isolation", "devices", "port_mappings", "capabilities", "cap_add", "cap_drop", "privileged", "node_mode",
     "node_selector", "affinity", "platform", "logs", "hostname", "dns", "extra_hosts", "labels", "user",
     "stop_signal", "stop_grace_period", "sysctls", "ulimits", "security_opt", "pid_mode", "ipc_mode",
     "network_mode", "extra_groups", "read_only_root_fs", "init_container", "tty", "stdin_open", "userns_mode",
     "cgroup_parent", "expose"},
    [](const Ctx& ctx, const YAML::Node& node, const std::string& path, const ServiceSpec& s) {
      if (node["wasm"] && node["wasm_http"]) fail(ctx, node["wasm_http"], path, "give either 'wasm' or its old name 'wasm_http', not both");
      if (s.health.type == HealthSpec::Type::Tcp && s.health.port == 0 && s.endpoints.empty())
        fail(ctx, node["health"], child_path(path, "health.check.port"),
             "port 0 means the first endpoint, but the service declares no endpoints");
    }};

ServiceSpec parse_service_node(const std::string& source, const YAML::Node& node, const std::string& name, const std::string& path) {
  ServiceSpec s;
  s.name = name;
  Ctx ctx{source, &s.warnings.value};
  read_fields(ctx, node, path, kService, s);
  return s;
}

YAML::Node load_yaml(std::string_view yaml, const std::string& source) {
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw RuntimeError(RuntimeError::Kind::InvalidSpec, fmt::format("{}:{}: not valid YAML: {}", source, e.mark.line + 1, e.msg));
  }
}

// Every replica opens its endpoints on 127.0.0.1:PORT itself, so replicas
// cannot share a fixed port: all but the first would fail to listen. Checked
// for a deployment file, not for a recorded service spec, so that instances
// recorded before this check still load.
void check_replica_ports(const Ctx& ctx, const YAML::Node& node, const std::string& path, const ServiceSpec& s) {
  if (s.replicas <= 1) return;
  for (const auto& ep : s.endpoints)
    if (ep.port != 0)
      fail(ctx, node["scale"], child_path(path, "scale"),
           fmt::format("{} replicas cannot share endpoint '{}' on port {}: each replica listens on 127.0.0.1:{} itself, "
                       "so all but the first would fail (address already in use); set scale.replicas: 1, or declare "
                       "one service per port",
                       s.replicas, ep.name, ep.port, ep.port));
}

// Why `n` cannot name a deployment or service, or nullopt if it can.
std::optional<std::string> name_problem(const std::string& n) {
  if (n.empty()) return "it is empty";
  if (n.size() > 63) return fmt::format("it has {} characters; at most 63", n.size());
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return "letters, digits, - and _ only (ASCII)";
  if (!std::isalnum(static_cast<unsigned char>(n.front()))) return "it must start with a letter or digit";
  return std::nullopt;
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
  check_spec_utf8(yaml, source);
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
  if (auto problem = name_problem(d.deployment))
    fail(ctx, root["deployment"], "deployment", fmt::format("invalid deployment name '{}': {}", d.deployment, *problem));
  YAML::Node services = root["services"];
  if (!services || services.IsNull()) fail(ctx, root, "services", "missing required field 'services'");
  if (!services.IsMap()) fail(ctx, services, "services", fmt::format("expected a mapping of service names, got {}", kind_name(services)));
  for (const auto& kv : services) {
    std::string name = get_string(ctx, kv.first, "services");
    if (auto problem = name_problem(name))
      fail(ctx, kv.first, "services." + name, fmt::format("invalid service name '{}': {}", name, *problem));
    if (name.find("-rep-") != std::string::npos)
      fail(ctx, kv.first, "services." + name, fmt::format("invalid service name '{}': it may not contain '-rep-' (instance ids end in -rep-N)", name));
    d.services.push_back(parse_service_node(source, kv.second, name, "services." + name));
    check_replica_ports(ctx, kv.second, "services." + name, d.services.back());
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
  YAML::Node node = load_yaml(yaml, source);
  return parse_service_node(source, node, name, "services." + name);
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

std::string to_yaml(const ServiceSpec& s) {
  YAML::Emitter e;
  write_fields(e, kService, s);
  return std::string(e.c_str()) + "\n";
}

}  // namespace wasmlet::runtime
