// Value types of the workload runtime: instance ids and states, how an
// instance ended, log entries, stats, exec events, images. They mirror the
// seed's container-runtime interface (zlayer-agent runtime.rs).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/error.h"
#include "wasmlet/pull_policy.h"
#include "wasmlet/registry/image_store.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::runtime {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// An instance belongs to its deployment: "<deployment>.<service>-rep-<replica>".
// The seed's "<service>-rep-<replica>" names an instance without a deployment,
// and (to WasmRuntime) any deployment's instance of that service and replica
// when only one deployment has it.
struct InstanceId {
  std::string service;
  uint32_t replica = 0;
  std::string deployment;  // empty: none (instances made through the library, or recorded before deployments)

  // "web.api-rep-0", or "api-rep-0" without a deployment.
  std::string str() const;
  // "api-rep-0" whatever the deployment.
  std::string short_str() const;
  // Parses "[<deployment>.]<service>-rep-<replica>"; throws RuntimeError(InvalidArgument) naming the text.
  static InstanceId parse(std::string_view text);
  friend bool operator==(const InstanceId&, const InstanceId&) = default;
  friend auto operator<=>(const InstanceId&, const InstanceId&) = default;
};

// The one id among `candidates` that `id` names: the same id, or (when `id`
// has no deployment) the only candidate with its service and replica.
// Throws RuntimeError NotFound (`what_none` says where it looked), or
// Conflict naming the candidates when several deployments have the name.
InstanceId resolve_instance_id(const InstanceId& id, const std::vector<InstanceId>& candidates, const std::string& what_none);

struct InstanceState {
  enum class Kind { Pending, Running, Stopping, Exited, Failed };
  Kind kind = Kind::Pending;
  int code = 0;        // Exited
  std::string reason;  // Failed

  static InstanceState pending() { return {}; }
  static InstanceState running() { return {Kind::Running, 0, {}}; }
  static InstanceState stopping() { return {Kind::Stopping, 0, {}}; }
  static InstanceState exited(int code) { return {Kind::Exited, code, {}}; }
  static InstanceState failed(std::string reason) { return {Kind::Failed, 0, std::move(reason)}; }

  bool finished() const { return kind == Kind::Exited || kind == Kind::Failed; }
  bool active() const { return kind == Kind::Running || kind == Kind::Stopping; }
  // "pending", "running", "stopping", "exited", "failed"
  const char* name() const;
  // "exited(0)", "failed(no _start or main export)", "running"...
  std::string to_string() const;
  friend bool operator==(const InstanceState&, const InstanceState&) = default;
};

// Whether a start got as far as the guest's code: `entered` false with a
// failed state means it could not start (not WebAssembly, link failure, no
// entry point, a listener or mount that could not be made), and `state` says why.
struct StartCheck {
  bool entered = false;
  InstanceState state;
};

// Why an instance stopped running (serialized as the seed's snake_case names).
enum class WaitReason { Exited, Signal, OomKilled, RuntimeError };
const char* to_string(WaitReason reason);
// Throws RuntimeError(InvalidArgument) for anything but the four names.
WaitReason wait_reason_from_string(std::string_view text);

struct WaitOutcome {
  int exit_code = 0;
  WaitReason reason = WaitReason::Exited;
  std::optional<std::string> signal;  // "SIGKILL" when reason == Signal
  std::optional<TimePoint> finished_at;

  static WaitOutcome exited(int code) { return {code, WaitReason::Exited, std::nullopt, std::nullopt}; }
};

enum class LogStream { Stdout, Stderr };
const char* to_string(LogStream stream);

struct LogEntry {
  TimePoint timestamp;
  LogStream stream = LogStream::Stdout;
  std::string message;  // one line, without its newline
};

struct LogQuery {
  std::optional<size_t> tail;      // only the last N entries (0: none, only new ones when following)
  std::optional<TimePoint> since;  // only entries at or after this time
};

struct InstanceStats {
  uint64_t cpu_usage_usec = 0;  // CPU time of the instance's thread(s) and its exec'd commands
  uint64_t memory_bytes = 0;    // linear memory now (or at exit), running exec'd commands' included
  uint64_t memory_limit = 0;    // max_memory, at most 4 GiB (the wasm32 ceiling)
  uint64_t fuel_consumed = 0;   // of the last (or current) run and the commands exec'd since it began
  uint32_t restart_count = 0;
  TimePoint timestamp;
};

struct ExecResult {
  int exit_code = 0;
  std::string out, err;
};

struct ExecEvent {
  enum class Kind { Stdout, Stderr, Exit };
  Kind kind = Kind::Stdout;
  std::string data;  // Stdout / Stderr: a chunk as written
  int exit_code = 0; // Exit: always the last event
};

// Ends an exec early from another thread, as when its client goes away: the
// exec's guest is interrupted as a stop would interrupt it. Handed to
// exec_stream, which attaches the exec's store while the guest runs.
class ExecCancel {
 public:
  void cancel();
  bool cancelled() const;
  void attach(Store* store);  // the runtime's side: nullptr when the guest has ended

 private:
  mutable std::mutex mu_;
  Store* store_ = nullptr;
  bool cancelled_ = false;
};


struct RegistryAuth {
  std::string username, password;  // basic
  std::string token;               // bearer (instead of username/password)
};

// Images are the image store's (wasmlet/registry/image_store.h).
using registry::ImageRecord;
using registry::PruneResult;

struct HealthDetail {
  std::string status = "none";  // none, starting, healthy, unhealthy
  uint32_t failing_streak = 0;
  std::optional<std::string> last_output;
};

// Everything `inspect` shows about one instance.
struct InstanceInfo {
  InstanceId id;  // with its deployment
  std::string image;  // the reference or file the spec names, as the user wrote it
  std::string image_path;  // wasmlet's own copy of the module under the data dir (not for users' eyes)
  std::optional<std::string> module_digest;  // "sha256:..." of the module it runs (none: recorded by an older wasmlet)
  InstanceState state;
  std::optional<WaitOutcome> outcome;  // once it has finished
  TimePoint created_at;
  std::optional<TimePoint> started_at;
  uint32_t restart_count = 0;
  bool restarting = false;  // its last run ended and the restart policy starts it again after a back-off
  HealthDetail health;
  std::string spec_yaml;  // the service spec, as YAML
  std::vector<std::string> mounts;  // "bind /host -> /guest (ro)"...
  std::vector<std::string> warnings;
};

// Errors of the runtime. Every message names the instance, image, spec field
// or file it concerns; kind() is the finer reason the daemon reports and its
// HTTP status follows (server/http_status.h), code() (error_code(kind)) the rest.
class RuntimeError : public Error {
 public:
  // ShuttingDown: the runtime's shutdown has begun, so it takes no more
  // requests (the daemon answers 503, the code is Unavailable).
  enum class Kind { NotFound, InvalidSpec, InvalidArgument, AlreadyExists, Conflict, Unsupported, PullFailed, ShuttingDown, Internal };
  static ErrorCode error_code(Kind kind) {
    switch (kind) {
      case Kind::NotFound: return ErrorCode::NotFound;
      case Kind::InvalidSpec:
      case Kind::InvalidArgument: return ErrorCode::InvalidArgument;
      case Kind::AlreadyExists:
      case Kind::Conflict: return ErrorCode::Conflict;
      case Kind::Unsupported: return ErrorCode::Unsupported;
      case Kind::PullFailed:
      case Kind::ShuttingDown: return ErrorCode::Unavailable;
      case Kind::Internal: return ErrorCode::Internal;
    }
    return ErrorCode::Internal;
  }
  RuntimeError(Kind kind, const std::string& message) : Error(message, error_code(kind)), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};
const char* to_string(RuntimeError::Kind kind);
RuntimeError::Kind runtime_error_kind_from_string(std::string_view text);

// RFC 3339 UTC with nanoseconds ("2026-11-23T08:00:00.123456789Z") and back.
std::string format_time(TimePoint t);
// Accepts RFC 3339 (with Z or +hh:mm, optional fraction) or a duration ago
// ("10m", "1.5h"); throws RuntimeError(InvalidArgument) naming the text.
TimePoint parse_time(std::string_view text, TimePoint now = Clock::now());

}  // namespace wasmlet::runtime
