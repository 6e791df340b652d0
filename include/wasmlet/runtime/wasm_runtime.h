// WasmRuntime: the Runtime interface on wasmlet's engine and WASI. Each
// instance runs on its own thread; specs, states and outcomes are kept in
// SQLite under the data dir and logs in files, so a restarted daemon finds
// them again.
#pragma once

#include "wasmlet/engine.h"

#include <filesystem>
#include <memory>

#include "wasmlet/runtime/runtime.h"

namespace wasmlet::runtime {

struct WasmRuntimeConfig {
  std::filesystem::path data_dir;          // state.db, logs/, volumes/, tmpfs/, images/
  uint64_t log_max_bytes = 10 << 20;       // rotate an instance's log file past this size
  uint32_t log_max_files = 3;              // rotated files kept per instance
  // Restore the instances recorded in data_dir/state.db: those that were
  // running are restarted per their restart policy, else failed("agent restarted").
  bool restore = true;
  // How instances run (docs/aot.md): Auto runs native code, compiling a
  // module the first time it is started (a large one starts in the
  // interpreter while it compiles in the background).
  Tier tier = Tier::Auto;
  // AOT cache; empty: $WASMLET_CACHE_DIR, else ~/.cache/wasmlet.
  std::filesystem::path cache_dir;
};

// What a runtime that is not running recorded under `data_dir` (the CLI's
// `ps`, `inspect` and `rm` while no daemon runs). The caller makes sure no
// runtime uses the data dir meanwhile (the daemon's lock, server/offline.h).
// An instance recorded as running is not running: nothing runs it.
std::vector<InstanceInfo> recorded_instances(const std::filesystem::path& data_dir);
// Forgets a recorded instance with its logs and tmpfs mounts (named volumes
// stay), as WasmRuntime::remove; throws RuntimeError(NotFound) naming it.
void remove_recorded_instance(const std::filesystem::path& data_dir, const InstanceId& id);

class WasmRuntime : public Runtime {
 public:
  explicit WasmRuntime(WasmRuntimeConfig config);
  // Ends every running guest; their recorded state stays "running" so that
  // the next daemon reports them as restarted or failed("agent restarted").
  ~WasmRuntime() override;

  void pull(const std::string& image, PullPolicy policy = PullPolicy::IfNotPresent,
            const std::optional<RegistryAuth>& auth = std::nullopt) override;
  std::vector<ImageRecord> list_images() override;
  void remove_image(const std::string& image, bool force = false) override;
  PruneResult prune_images() override;
  void tag_image(const std::string& source, const std::string& target) override;

  void create(const InstanceId& id, const ServiceSpec& spec) override;
  void check_create(const InstanceId& id, const ServiceSpec& spec) override;  // create_check.cpp
  void start(const InstanceId& id) override;
  void stop(const InstanceId& id, std::chrono::nanoseconds timeout = std::chrono::seconds(10)) override;
  void kill(const InstanceId& id, std::optional<std::string_view> signal = std::nullopt) override;
  void remove(const InstanceId& id, bool force = false) override;
  InstanceState state(const InstanceId& id) override;
  StartCheck wait_started(const InstanceId& id) override;
  std::vector<InstanceInfo> list() override;
  InstanceInfo inspect(const InstanceId& id) override;
  std::vector<LogEntry> logs(const InstanceId& id, const LogQuery& query = {}) override;
  void follow_logs(const InstanceId& id, const LogQuery& query, const LogCallback& on_entry) override;
  ExecResult exec(const InstanceId& id, const std::vector<std::string>& cmd) override;
  void exec_stream(const InstanceId& id, const std::vector<std::string>& cmd, const ExecCallback& on_event,
                   ExecCancel* cancel = nullptr) override;
  InstanceStats stats(const InstanceId& id) override;
  int wait(const InstanceId& id) override;
  WaitOutcome wait_outcome(const InstanceId& id) override;
  std::optional<WaitOutcome> wait_outcome_for(const InstanceId& id, std::chrono::nanoseconds timeout) override;
  std::optional<int> pid(const InstanceId& id) override;
  std::optional<std::string> ip(const InstanceId& id) override;

  // For a client that may go away (the daemon's HTTP clients): wait_outcome
  // and follow_logs that ask `still_wanted` about once a second while
  // nothing happens, and give up when it says false (wait: nullopt), so a
  // gone client does not hold a thread until the instance ends.
  std::optional<WaitOutcome> wait_outcome(const InstanceId& id, const std::function<bool()>& still_wanted);
  void follow_logs(const InstanceId& id, const LogQuery& query, const LogCallback& on_entry,
                   const std::function<bool()>& still_wanted);
  // What logs() returns, handed to on_entry as it is read from the files, a
  // chunk at a time: a large log is never held in memory whole.
  void read_logs(const InstanceId& id, const LogQuery& query, const LogCallback& on_entry);

  const WasmRuntimeConfig& config() const;
  // Stores `bytes` as image `reference` (a registry reference; a module file
  // path is refused, as it would shadow that file) in the local image store.
  void import_image(const std::string& reference, const std::vector<uint8_t>& bytes);
  // Deletes the named volume DATA_DIR/volumes/NAME; refused (Conflict) while
  // an instance's spec mounts it. Nothing to delete is not an error.
  void remove_volume(const std::string& name);
  // What ~WasmRuntime does, callable early (a daemon shutting down): wakes
  // every waiter and follower, ends every guest, joins their threads. The
  // recorded states stay as they were. Idempotent.
  void shutdown();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wasmlet::runtime
