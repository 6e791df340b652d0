// The workload runtime interface: the seed's container-runtime trait
// (zlayer-agent runtime.rs) done properly. Every method is thread-safe and
// synchronous; wait and wait_outcome block on a condition variable.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/runtime/spec.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::runtime {

using ExecCallback = std::function<void(const ExecEvent&)>;
using LogCallback = std::function<bool(const LogEntry&)>;  // return false to stop following

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Images.
  virtual void pull(const std::string& image, PullPolicy policy = PullPolicy::IfNotPresent,
                    const std::optional<RegistryAuth>& auth = std::nullopt) = 0;
  virtual std::vector<ImageRecord> list_images() = 0;
  virtual void remove_image(const std::string& image, bool force = false) = 0;
  virtual PruneResult prune_images() = 0;
  virtual void tag_image(const std::string& source, const std::string& target) = 0;

  // Lifecycle.
  virtual void create(const InstanceId& id, const ServiceSpec& spec) = 0;
  // Throws what create would throw for `spec` (capabilities, mounts, the
  // image per its pull policy, which may pull it) and records nothing: `up`
  // calls it before it removes the instance a changed spec replaces.
  virtual void check_create(const InstanceId& id, const ServiceSpec& spec) = 0;
  virtual void start(const InstanceId& id) = 0;
  // Interrupts the guest (SIGTERM: exit 143); if it has not ended after
  // `timeout`, ends it as SIGKILL (137). Idempotent on finished instances.
  virtual void stop(const InstanceId& id, std::chrono::nanoseconds timeout = std::chrono::seconds(10)) = 0;
  // Validates the signal (validate_signal; none = SIGKILL) and ends the guest now: exit 128+N.
  virtual void kill(const InstanceId& id, std::optional<std::string_view> signal = std::nullopt) = 0;
  // Removes the instance, its logs and tmpfs mounts (named volumes stay).
  // A running instance is refused unless `force`, which kills it first.
  // A tmpfs directory that cannot be deleted is an error naming it, thrown
  // after the instance is gone (the directory is left on the host).
  virtual void remove(const InstanceId& id, bool force = false) = 0;

  virtual InstanceState state(const InstanceId& id) = 0;
  // Blocks until the instance's current run has called the guest's entry
  // point, or has ended (or waits to restart) before that.
  virtual StartCheck wait_started(const InstanceId& id) = 0;
  virtual std::vector<InstanceInfo> list() = 0;
  virtual InstanceInfo inspect(const InstanceId& id) = 0;

  virtual std::vector<LogEntry> logs(const InstanceId& id, const LogQuery& query = {}) = 0;
  // Calls `on_entry` for the entries matching `query`, then for every new one
  // until the instance has finished (no restart pending) or on_entry returns false.
  virtual void follow_logs(const InstanceId& id, const LogQuery& query, const LogCallback& on_entry) = 0;

  // Runs `cmd` as a fresh instance of the same module in the same sandbox.
  virtual ExecResult exec(const InstanceId& id, const std::vector<std::string>& cmd) = 0;
  // Streams stdout/stderr chunks as they are written; the last event is Exit.
  // `cancel`, if given, may end it early. (The daemon's API, as docker, takes
  // an exec only for a running instance; the library also for an ended one.)
  virtual void exec_stream(const InstanceId& id, const std::vector<std::string>& cmd, const ExecCallback& on_event,
                           ExecCancel* cancel = nullptr) = 0;

  virtual InstanceStats stats(const InstanceId& id) = 0;

  // Blocks until the instance has finished and no restart is pending; one
  // created and never started is answered at once, exit code 0 (as
  // `docker wait`, whose default condition is "not running").
  virtual int wait(const InstanceId& id) = 0;
  virtual WaitOutcome wait_outcome(const InstanceId& id) = 0;
  // As wait_outcome, giving up after `timeout` (nullopt then).
  virtual std::optional<WaitOutcome> wait_outcome_for(const InstanceId& id, std::chrono::nanoseconds timeout) = 0;

  // WebAssembly instances run in-process: no pid of their own.
  virtual std::optional<int> pid(const InstanceId& id) = 0;
  // Guests reach the network through listeners on the host: 127.0.0.1.
  virtual std::optional<std::string> ip(const InstanceId& id) = 0;
};

// "SIGKILL", "kill", " term " -> the canonical "SIGKILL"/"SIGTERM"; only
// SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2. Throws
// RuntimeError(InvalidSpec) otherwise (as the seed's validate_signal).
std::string validate_signal(std::string_view signal);
// The number of one of the signals validate_signal accepts.
int signal_number(std::string_view canonical_signal);
// 137 -> "SIGKILL", 143 -> "SIGTERM", 227 -> "signal_99", <= 128 -> nullopt.
std::optional<std::string> signal_name_from_exit_code(int exit_code);

}  // namespace wasmlet::runtime
