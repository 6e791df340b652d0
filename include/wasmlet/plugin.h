// Plugins: sandboxed .wasm modules that a C++ program calls with JSON (or raw
// bytes) in and out, through the guest-owned ABI of docs/plugin-abi.md.
//
//   PluginHost host;
//   PluginOptions options;
//   options.capabilities.paths.push_back({"/srv/data", "/data", /*read_only=*/true});
//   options.capabilities.config["greeting"] = "hello";
//   auto plugin = host.load_file("json_transform.wasm", options);
//   nlohmann::json out = plugin->call("execute", nlohmann::json{{"text", "abc"}});
//
// A plugin is compiled once when loaded; every call runs in a fresh instance
// (its own Store with the plugin's limits), so calls are independent and may
// run concurrently from any number of threads. With `keep_warm` one instance
// is kept between calls instead (stateful plugins; calls are serialized).
// Nothing a plugin does can crash the host: bad pointers, huge lengths,
// traps, invalid output and exhausted limits all end in a PluginError that
// names the plugin and the export.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "wasmlet/engine.h"
#include "wasmlet/error.h"

namespace wasmlet {

// ---------------------------------------------------------------- capabilities

// A host directory the plugin may see (through WASI) under `guest_path`.
struct PathGrant {
  std::filesystem::path host_path;
  std::string guest_path;  // defaults to the host path when empty
  bool read_only = true;
};

// Parses the CLI form HOST[::GUEST][:ro|:rw] (read-write unless ":ro").
PathGrant parse_path_grant(std::string_view text);

enum class LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 };
const char* to_string(LogLevel level);

// What a plugin may touch. Everything is denied unless granted here.
struct Capabilities {
  std::vector<PathGrant> paths;                 // filesystem (WASI preopens)
  std::map<std::string, std::string> env;       // environment variables the plugin sees
  bool inherit_stdout = false;                  // guest stdout -> host stdout (else -> log at Info)
  bool inherit_stderr = false;                  // guest stderr -> host stderr (else -> log at Warn)
  bool network = false;                         // wasmlet.http_request
  std::vector<std::string> allowed_hosts;       // with network: "host", "host:port", "[::1]:8080" (empty = any)
  std::map<std::string, std::string> config;    // values for wasmlet.config_get
};

// ---------------------------------------------------------------- limits

struct PluginLimits {
  uint64_t max_memory_bytes = 16ull << 20;                    // per instance (seed default 16 MiB)
  std::optional<uint64_t> fuel;                               // instructions per call (none = unmetered)
  std::chrono::nanoseconds timeout = std::chrono::seconds(5); // wall time per call (seed default 5 s; 0: no limit)
  uint64_t max_output_bytes = 16ull << 20;                    // largest output_set/response accepted
};

// Receives the plugin's log lines (wasmlet.log and uninherited stdio).
using PluginLogSink = std::function<void(const std::string& plugin, LogLevel level, std::string_view message)>;

struct PluginOptions {
  Capabilities capabilities;
  PluginLimits limits;
  bool keep_warm = false;             // keep one instance between calls (serialized)
  std::optional<std::string> name;    // overrides the metadata name (the host's key)
  PluginLogSink log;                  // default: "[plugin] LEVEL message" on stderr
};

// ---------------------------------------------------------------- metadata

// From the `wasmlet.plugin` custom section (JSON {name, version, description});
// fallback: the file name without extension, "0.1.0", "".
struct PluginMetadata {
  std::string name;
  std::string version = "0.1.0";
  std::string description;
  bool from_custom_section = false;
};

struct PluginExport {
  std::string name;
  std::string signature;  // "() -> (i32)"
  bool callable = false;  // matches the ABI: () -> i32 or () -> ()
};

// ---------------------------------------------------------------- errors

class PluginError : public Error {
 public:
  enum class Kind {
    NotFound,       // no such plugin / export, or no entry point
    BadExport,      // the export's type does not match the ABI
    InvalidInput,   // the host's input is not valid JSON
    Trap,           // the guest trapped (incl. a bad pointer or length in a host call)
    Fuel,           // fuel exhausted
    Timeout,        // wall time per call exceeded
    Memory,         // memory limit hit
    Exit,           // the guest exited with a non-zero code
    Failed,         // the guest returned a non-zero status (message: its output)
    BadOutput,      // no output, too large, invalid UTF-8 or invalid JSON
    Denied,         // a capability was missing (recorded during the call)
    Instantiate,    // link/instantiation failure
  };
  PluginError(Kind kind, std::string plugin, std::string export_name, const std::string& detail);
  // NotFound, InvalidArgument, Link, LimitExceeded, PermissionDenied or GuestFailed.
  static ErrorCode error_code(Kind kind);
  Kind kind() const { return kind_; }
  const std::string& plugin() const { return plugin_; }
  const std::string& export_name() const { return export_; }
  const std::string& detail() const { return detail_; }

 private:
  Kind kind_;
  std::string plugin_, export_, detail_;
};
const char* to_string(PluginError::Kind kind);

// ---------------------------------------------------------------- plugin

// What one call produced besides its output.
struct CallStats {
  std::string export_name;   // the export actually called (after the entry-point search)
  uint64_t fuel_consumed = 0;
  uint64_t memory_bytes = 0;
  std::chrono::nanoseconds wall{0};
};

namespace detail {
struct PluginImpl;
}

class Plugin {
 public:
  // The export names tried, in order, when a call names none (seed 004).
  static const std::vector<std::string>& entry_points();
  // The export a call that names none runs: the first of entry_points() the
  // plugin exports as a function; nullopt if it exports none of them.
  std::optional<std::string> default_entry() const;

  const PluginMetadata& metadata() const;
  const std::string& name() const;  // the key in the host
  const std::vector<PluginExport>& exports() const;
  const Capabilities& capabilities() const;
  const PluginLimits& limits() const;
  bool warm() const;
  bool uses_wasi() const;

  // The deepest nesting the value `call` returns may have: copying or
  // dumping a value recurses once per level, so deeper output would
  // overflow the caller's stack; it is a BadOutput error instead.
  static constexpr int kMaxOutputJsonDepth = 512;
  // JSON in, JSON out. An empty export name searches the entry points.
  nlohmann::json call(std::string_view export_name, const nlohmann::json& input, CallStats* stats = nullptr) const;
  // JSON text in (validated; InvalidInput if it does not parse), JSON text out
  // (validated UTF-8 and JSON).
  std::string call_json(std::string_view export_name, std::string_view json_text, CallStats* stats = nullptr) const;
  // Bytes in, bytes out: no UTF-8 or JSON checks on either side.
  std::vector<uint8_t> call(std::string_view export_name, std::span<const uint8_t> input,
                            CallStats* stats = nullptr) const;

  // Stops every call of this plugin in progress (they fail with Kind::Trap, "interrupted").
  void interrupt_all() const;

  explicit Plugin(std::unique_ptr<detail::PluginImpl> impl);
  ~Plugin();

 private:
  std::unique_ptr<detail::PluginImpl> impl_;
};

// ---------------------------------------------------------------- image seam

// Resolves an image reference ("ghcr.io/acme/filter:1.2") to the plugin's
// .wasm bytes. The registry client implements it; the plugin host only asks.
class PluginImageSource {
 public:
  virtual ~PluginImageSource() = default;
  virtual std::vector<uint8_t> fetch_wasm(std::string_view reference) = 0;
};

// ---------------------------------------------------------------- host

struct PluginSummary {
  std::string name, version, description;
  std::vector<std::string> exports;  // callable ones
  bool warm = false;
};

// Thread-safe: load, call, list and unload from any thread. A plugin being
// called while it is unloaded finishes its calls (shared ownership).
class PluginHost {
 public:
  // Plugins run as native code by default (Tier::Auto: compiled on first
  // load and cached, docs/aot.md).
  PluginHost();
  explicit PluginHost(EngineConfig engine_config);
  ~PluginHost();

  std::shared_ptr<const Plugin> load_file(const std::filesystem::path& path, PluginOptions options = {});
  std::shared_ptr<const Plugin> load_bytes(std::span<const uint8_t> wasm, std::string fallback_name,
                                           PluginOptions options = {});
  // Needs set_image_source(); UsageError otherwise.
  std::shared_ptr<const Plugin> load_image(std::string_view reference, PluginOptions options = {});
  void set_image_source(std::shared_ptr<PluginImageSource> source);

  // nullptr if no plugin has this name.
  std::shared_ptr<const Plugin> get(std::string_view name) const;
  // Throws PluginError(NotFound) for an unknown name.
  nlohmann::json call(std::string_view plugin, std::string_view export_name, const nlohmann::json& input) const;
  std::vector<uint8_t> call(std::string_view plugin, std::string_view export_name,
                            std::span<const uint8_t> input) const;

  bool unload(std::string_view name);
  std::vector<PluginSummary> list() const;
  Engine& engine() { return engine_; }

  // Compiles and prepares a plugin without registering it (the CLI's one-shot path).
  static std::shared_ptr<const Plugin> compile(Engine& engine, std::span<const uint8_t> wasm,
                                               std::string fallback_name, PluginOptions options);

 private:
  std::shared_ptr<const Plugin> add(std::shared_ptr<const Plugin> plugin);
  Engine engine_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const Plugin>, std::less<>> plugins_;
  std::shared_ptr<PluginImageSource> image_source_;
};

}  // namespace wasmlet
