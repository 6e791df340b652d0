// One workload: an instance of a service spec as the runtime runs it (not
// the engine's wasmlet::Instance, a module instantiated in a Store): its
// spec, its thread, its runs and the restarts between them. Its life is one
// state machine (Phase, transition_locked) under the workload's mutex; every
// change wakes waiters through its condition variable, and the state users
// see (record_.state) is recorded in the state database.
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

#include "capabilities.h"
#include "health_check.h"
#include "log_store.h"
#include "mounts.h"
#include "program_cache.h"
#include "restart_policy.h"
#include "stack_thread.h"
#include "state_db.h"
#include "wasmlet/engine.h"
#include "wasmlet/linker.h"
#include "wasmlet/runtime/runtime.h"
#include "wasmlet/store.h"

namespace wasmlet::runtime {

// Exit codes the runtime reports for endings that are not the guest's own.
inline constexpr int kExitRuntimeError = 125;  // invalid module, link failure, no entry point, agent restarted
// A trap is kTrapExitStatus (134), or kOutOfMemoryExitStatus (137) after
// the memory limit refused a grow, as for `wasmlet run` (wasmlet/wasi_command.h).

struct RuntimeShared {
  explicit RuntimeShared(EngineConfig engine_config) : engine(std::move(engine_config)) {}
  std::filesystem::path data_dir;
  Engine engine;
  Linker linker;  // WASI preview1; read-only once built
  ModuleCache modules{engine};
  StateDb* db = nullptr;
  std::atomic<bool> shutting_down{false};
};

class Workload {
 public:
  Workload(RuntimeShared& shared, InstanceRecord record, ServiceSpec spec, std::unique_ptr<InstanceLog> log,
           std::optional<std::string> spec_error);
  ~Workload();

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
  // Until it is not running (not_running_locked): how it ended, or exit code
  // 0 for one never started.
  WaitOutcome wait();
  // As wait(), asking `still_wanted` (without the lock) every second until
  // then; nullopt once it says false.
  std::optional<WaitOutcome> wait(const std::function<bool()>& still_wanted);
  std::optional<WaitOutcome> wait_for(std::chrono::nanoseconds timeout);
  bool finished_for_good();

  InstanceLog& log() { return *log_; }
  void exec_stream(const std::vector<std::string>& cmd, const ExecCallback& on_event, ExecCancel* cancel);

  // Daemon restart: the record said running, or waiting out a restart
  // back-off (restart_pending). Restart per policy, else failed("agent
  // restarted") (one waiting to restart keeps how its last run ended). An instance whose start was under way (its
  // `starting` marker set) may have crashed the daemon, one named by the
  // crash record (`crash_signal`, crash_blame.h) did: it is failed with that
  // reason and never restarted automatically.
  void recover_after_agent_restart(const std::optional<std::string>& crash_signal);
  // Daemon start, for an `always` instance a user stopped or killed: starts
  // it again, as docker's daemon does (starts_again_with_the_daemon).
  void start_with_the_daemon();

 private:
  // Where the workload's life is. record_.state is what users see of it:
  // pending, exited or failed while Idle; running or stopping during a run.
  //
  //   Idle --Launch--> Running --RunEndedRestart--> Restarting --RestartDue--> Running
  //   Running, Restarting --StopAsked--> Stopping (the run ends at the guest's next check; no restart)
  //   Running, Stopping, Restarting --ThreadEnded--> Idle
  //   any --Shutdown--> ShuttingDown --ThreadEnded--> ShutDown (Idle --Shutdown--> ShutDown)
  //   any --Remove--> Removed
  enum class Phase {
    Idle,          // no thread: created and not started yet, or ended (record_.state says how)
    Running,       // the thread runs the guest
    Stopping,      // a stop or kill was asked for
    Restarting,    // the last run ended; the thread waits out the restart back-off
    ShuttingDown,  // the daemon is going away: the run is interrupted, the record left as it was
    ShutDown,      // ... and the thread has ended
    Removed,       // `rm`: nothing runs again
  };
  enum class Event { Launch, StopAsked, RunEndedRestart, RestartDue, ThreadEnded, Shutdown, Remove };
  // Moves to the phase `event` leads to and wakes waiters; false, and no
  // change, where the event does not apply to the current phase.
  bool transition_locked(Event event);
  // The thread exists and has not made its last run.
  void refuse_if_shutting_down_locked() const;
  bool thread_alive_locked() const;
  // stop() and kill() after choosing the signal: no restart, state stopping, the guest interrupted.
  void ask_to_stop_locked();

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
  // What wait() waits for: docker's default condition, "not running": done,
  // or created and never started (docker answers at once, exit code 0).
  bool not_running_locked() const;
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
  Phase phase_ = Phase::Idle;
  StackThread thread_;  // kInstanceStackBytes of stack
  Store* store_ = nullptr;           // the running guest's store
  // exec'd commands running now, with their thread's CPU clock and its
  // reading when the command began (stats count their CPU time too), and
  // the fuel they had used when the current run began (counted in the last).
  struct RunningExec {
    bool cpu_clock_valid = false;
    clockid_t cpu_clock{};
    uint64_t cpu_start_ns = 0;
    uint64_t fuel_before_run = 0;
    uint64_t cpu_ns() const;  // used since it began
  };
  std::map<Store*, RunningExec> exec_stores_;
  std::optional<std::string> requested_signal_;
  RestartBackoff backoff_;  // the delays between the restarts since the last start
  bool entered_ = false;  // the current run has called the guest's entry point
  HealthDetail health_;
  std::unique_ptr<HealthMonitor> health_monitor_;
  uint64_t cpu_done_ns_ = 0;  // CPU time of finished threads and exec'd commands
  bool cpu_clock_valid_ = false;
  clockid_t cpu_clock_{};
  uint64_t memory_bytes_ = 0, fuel_consumed_ = 0;
  uint64_t exec_fuel_done_ = 0;  // fuel of exec'd commands that ended since the current (or last) run began
};

}  // namespace wasmlet::runtime
