// One workload instance: its spec, its thread, its state machine. State
// changes happen under the instance's mutex and wake waiters through its
// condition variable; every change is recorded in the state database.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "capabilities.h"
#include "health_check.h"
#include "log_store.h"
#include "mounts.h"
#include "stack_thread.h"
#include "state_db.h"
#include "wasmlet/component/component.h"
#include "wasmlet/engine.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/runtime/runtime.h"
#include "wasmlet/store.h"

namespace wasmlet::runtime {

// Exit codes the runtime reports for endings that are not the guest's own.
inline constexpr int kExitRuntimeError = 125;  // invalid module, link failure, no entry point, agent restarted
// A trap is kTrapExitStatus (134), or kOutOfMemoryExitStatus (137) after
// the memory limit refused a grow, as for `wasmlet run` (wasmlet/wasi_command.h).

// What an image holds, compiled: a core module (WASI preview1) or a command
// component (WASI 0.2, wasi:cli/run).
struct Program {
  std::optional<Module> module;
  std::optional<component::CompiledComponent> component;
};

// Compiled programs shared by every instance, keyed by file, size and mtime.
class ModuleCache {
 public:
  explicit ModuleCache(Engine& engine) : engine_(engine) {}
  // The program in `file` (wasmlet's copy of the image), compiled once per
  // file and name. Errors and the module's name use `image`, the reference
  // or path the user gave, not the copy's path under the data dir.
  Program get(const std::filesystem::path& file, const std::string& image);

 private:
  Engine& engine_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, Program>> programs_;
};

struct RuntimeShared {
  explicit RuntimeShared(EngineConfig engine_config) : engine(std::move(engine_config)) {}
  std::filesystem::path data_dir;
  Engine engine;
  Linker linker;  // WASI preview1; read-only once built
  ModuleCache modules{engine};
  StateDb* db = nullptr;
  std::atomic<bool> shutting_down{false};
};

class Instance {
 public:
  Instance(RuntimeShared& shared, InstanceRecord record, ServiceSpec spec, std::unique_ptr<InstanceLog> log,
           std::optional<std::string> spec_error);
  ~Instance();

  const InstanceId& id() const { return record_.id; }
  std::string name() const { return record_.id.str(); }
  std::filesystem::path image_path() const { return record_.image_path; }
  const ServiceSpec& spec() const { return spec_; }  // fixed at creation

  void start();
  void stop(std::chrono::nanoseconds timeout);
  void kill(const std::string& canonical_signal);
  // Ends the guest without recording its end (the daemon is going away).
  void shutdown();
  // Ends everything for removal and joins the threads.
  void terminate_for_remove();
  // Waits for the instance's threads (guest, health monitor) to end.
  void join_thread();

  InstanceState state();
  // Blocks until the current run has entered the guest's code or ended (or
  // is waiting to restart) before that.
  StartCheck wait_started();
  InstanceInfo info();
  InstanceStats stats();
  WaitOutcome wait();
  std::optional<WaitOutcome> wait_for(std::chrono::nanoseconds timeout);
  bool finished_for_good();

  InstanceLog& log() { return *log_; }
  void exec_stream(const std::vector<std::string>& cmd, const ExecCallback& on_event);

  // Daemon restart: the record said running. Restart per policy, else
  // failed("agent restarted"). An instance whose start was under way (its
  // `starting` marker set) may have crashed the daemon, one named by the
  // crash record (`crash_signal`, crash_blame.h) did: it is failed with that
  // reason and never restarted automatically.
  void recover_after_agent_restart(const std::optional<std::string>& crash_signal);

 private:
  struct RunResult {
    InstanceState state;
    WaitOutcome outcome;
  };
  struct Sandbox {
    WasiConfig config;
    StoreLimits limits;
  };

  void thread_main();
  RunResult run_once();
  Sandbox build_sandbox(std::vector<std::string> args, OutputSink sink);
  // `on_entry` runs once the program is instantiated, just before its entry point is called.
  RunResult run_guest(Store& store, const Program& program, Sandbox& sb, const std::string& what,
                      const std::function<void()>& on_entry = {});
  void set_starting(bool starting);
  RunResult classify(const Outcome& outcome, Store& store, const std::string& what);
  void persist_locked();
  void launch_locked();
  bool done_locked() const;
  void start_health_locked();
  void check_wait_locked();
  void mark_entered();
  void interrupt_all_locked();
  std::optional<uint64_t> memory_limit() const;

  RuntimeShared& shared_;
  InstanceRecord record_;
  ServiceSpec spec_;
  std::optional<std::string> spec_error_;
  MountPlan mounts_;
  EffectiveCapabilities caps_;
  std::unique_ptr<InstanceLog> log_;

  std::mutex mu_;
  std::condition_variable cv_;
  StackThread thread_;  // kInstanceStackBytes of stack
  bool thread_running_ = false;
  Store* store_ = nullptr;           // the running guest's store
  std::set<Store*> exec_stores_;     // exec'd commands
  std::optional<std::string> requested_signal_;
  bool restart_pending_ = false;
  bool entered_ = false;  // the current run has called the guest's entry point
  bool cancel_restart_ = false;
  bool removed_ = false;
  bool shut_down_ = false;
  HealthDetail health_;
  std::unique_ptr<HealthMonitor> health_monitor_;
  uint64_t cpu_done_ns_ = 0;  // CPU time of finished threads
  bool cpu_clock_valid_ = false;
  clockid_t cpu_clock_{};
  uint64_t memory_bytes_ = 0, fuel_consumed_ = 0;
};

}  // namespace wasmlet::runtime
