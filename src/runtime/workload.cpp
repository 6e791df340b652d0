#include "workload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "crash_blame.h"
#include "wasmlet/binary_kind.h"
#include "wasmlet/byte_size.h"
#include "wasmlet/duration.h"
#include "wasmlet/error.h"
#include "wasmlet/instance.h"
#include "wasmlet/outcome.h"
#include "wasmlet/program.h"
#include "wasmlet/wasi.h"
#include "wasmlet/wasi_command.h"

namespace wasmlet::runtime {

namespace {

constexpr uint64_t kWasm32Ceiling = 4ull << 30;

uint64_t thread_cpu_ns(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// A listening socket on 127.0.0.1:port for an endpoint (WASI gets it as fd 3, 4...).
int open_listener(const EndpointSpec& ep, const std::string& instance) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(ep.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(fd, 128) < 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    throw Error(fmt::format("instance {}: cannot listen on 127.0.0.1:{} for endpoint '{}': {}", instance, ep.port, ep.name, why));
  }
  return fd;
}

// "WHAT: MESSAGE" for an error met running the instance, where WHAT names
// it ("instance X (image I)"); a MESSAGE that begins by naming the instance
// itself ("instance X: ...", as mount and listener errors do) continues
// WHAT instead, so the name is not given twice.
std::string about(const std::string& what, const std::string& instance, const std::string& message) {
  const std::string own = "instance " + instance;
  if (message.starts_with(own + ":")) return what + message.substr(own.size());
  return fmt::format("{}: {}", what, message);
}

}  // namespace

Workload::Workload(RuntimeShared& shared, InstanceRecord record, ServiceSpec spec, std::unique_ptr<InstanceLog> log,
                   std::optional<std::string> spec_error)
    : shared_(shared), record_(std::move(record)), spec_(std::move(spec)), spec_error_(std::move(spec_error)), log_(std::move(log)) {
  if (!spec_error_) {
    try {
      caps_ = effective_capabilities(spec_);
      check_capabilities(spec_, caps_, name());
      mounts_ = plan_mounts(spec_, name(), shared_.data_dir);
    } catch (const Error& e) {
      spec_error_ = e.what();
    }
  }
  // Followers of a created instance wait for its first run.
  if (record_.state.kind == InstanceState::Kind::Pending) log_->reopen();
}

Workload::~Workload() {
  shutdown();
  join_thread();
}

std::optional<uint64_t> Workload::memory_limit() const {
  if (spec_.wasm && spec_.wasm->max_memory) return parse_byte_size(*spec_.wasm->max_memory);
  return std::nullopt;
}

bool Workload::transition_locked(Event event) {
  Phase next = phase_;
  switch (event) {
    case Event::Launch:
      if (phase_ != Phase::Idle) return false;
      next = Phase::Running;
      break;
    case Event::StopAsked:
      if (phase_ != Phase::Running && phase_ != Phase::Restarting && phase_ != Phase::Stopping) return false;
      next = Phase::Stopping;
      break;
    case Event::RunEndedRestart:
      if (phase_ != Phase::Running) return false;
      next = Phase::Restarting;
      break;
    case Event::RestartDue:
      if (phase_ != Phase::Restarting) return false;
      next = Phase::Running;
      break;
    case Event::ThreadEnded:
      if (phase_ == Phase::Running || phase_ == Phase::Stopping || phase_ == Phase::Restarting) next = Phase::Idle;
      else if (phase_ == Phase::ShuttingDown) next = Phase::ShutDown;
      else if (phase_ != Phase::Removed) return false;
      break;
    case Event::Shutdown:
      if (phase_ == Phase::Removed) return false;
      next = phase_ == Phase::Idle || phase_ == Phase::ShutDown ? Phase::ShutDown : Phase::ShuttingDown;
      break;
    case Event::Remove:
      next = Phase::Removed;
      break;
  }
  phase_ = next;
  cv_.notify_all();
  return true;
}

bool Workload::thread_alive_locked() const {
  return phase_ == Phase::Running || phase_ == Phase::Stopping || phase_ == Phase::Restarting ||
         phase_ == Phase::ShuttingDown;
}

void Workload::persist_locked() {
  if (phase_ == Phase::Removed) return;
  try {
    shared_.db->put(record_);
  } catch (const Error& e) {
    // The in-memory state stays right; say why the record is behind.
    log_->note(fmt::format("cannot record the state of {}: {}", name(), e.what()));
  }
}

bool Workload::done_locked() const {
  return phase_ == Phase::Removed || phase_ == Phase::ShutDown || (phase_ == Phase::Idle && record_.state.finished());
}

bool Workload::not_running_locked() const {
  return done_locked() || (phase_ == Phase::Idle && record_.state.kind == InstanceState::Kind::Pending);
}

void Workload::join_thread() {
  StackThread t;
  {
    std::lock_guard lock(mu_);
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
  std::unique_ptr<HealthMonitor> monitor;
  {
    std::lock_guard lock(mu_);
    monitor = std::move(health_monitor_);
  }
}

void Workload::launch_locked() {
  if (!transition_locked(Event::Launch)) return;
  record_.state = InstanceState::running();
  record_.started_at = Clock::now();
  record_.outcome.reset();
  record_.stopped_by_user = false;
  record_.restart_pending = false;
  requested_signal_.reset();
  backoff_ = RestartBackoff{};
  entered_ = false;
  log_->reopen();
  persist_locked();
  thread_ = StackThread(kInstanceStackBytes, [this] { thread_main(); });
}

void Workload::start() {
  StackThread old;
  std::unique_ptr<HealthMonitor> old_monitor;
  {
    std::unique_lock lock(mu_);
    if (phase_ == Phase::Removed) throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("instance {} was removed", name()));
    refuse_if_shutting_down_locked();
    // Running or restarting: nothing to do.
    if (phase_ != Phase::Idle || record_.state.active()) return;
    old = std::move(thread_);
    old_monitor = std::move(health_monitor_);
  }
  if (old.joinable()) old.join();
  old_monitor.reset();
  std::lock_guard lock(mu_);
  refuse_if_shutting_down_locked();
  if (phase_ != Phase::Idle || record_.state.active()) return;
  // A start (by a user, or by a daemon starting) counts restarts afresh, as
  // `docker start` does (moby's containerStart resets RestartCount): an
  // `on_failure:N` instance started again has N attempts again.
  record_.restart_count = 0;
  launch_locked();
  start_health_locked();
}

void Workload::start_health_locked() {
  if (spec_.health.type == HealthSpec::Type::None || health_monitor_) return;
  uint16_t port = spec_.endpoints.empty() ? 0 : spec_.endpoints.front().port;
  health_monitor_ = std::make_unique<HealthMonitor>(spec_.health, port, [this](const HealthDetail& d) {
    std::lock_guard l(mu_);
    health_ = d;
  });
}

void Workload::interrupt_all_locked() {
  if (store_) store_->interrupt();
  for (auto& [s, _] : exec_stores_) s->interrupt();
}

// A start, stop or kill that races the runtime's shutdown fails saying so
// (RuntimeError ShuttingDown): the shutdown has the instance (its record is
// left as it was, to be restarted or failed by the next daemon), so the
// request did not, or not surely, take effect. Checked on entry and, for a
// stop or kill, again when its wait ends: a shutdown that came during the
// wait ended it.
void Workload::refuse_if_shutting_down_locked() const {
  if (shared_.shutting_down || phase_ == Phase::ShuttingDown || phase_ == Phase::ShutDown)
    throw RuntimeError(RuntimeError::Kind::ShuttingDown,
                       fmt::format("the runtime is shutting down; it takes no more requests (instance {})", name()));
}

void Workload::kill(const std::string& canonical_signal) {
  std::unique_lock lock(mu_);
  refuse_if_shutting_down_locked();
  if (phase_ == Phase::Restarting) {  // between two runs: just cancel the restart
    record_.stopped_by_user = true;
    transition_locked(Event::StopAsked);
    cv_.wait(lock, [&] { return done_locked(); });
    if (phase_ == Phase::ShutDown) refuse_if_shutting_down_locked();
    return;
  }
  if (!thread_alive_locked()) return;  // not started, or finished: idempotent
  requested_signal_ = canonical_signal;
  ask_to_stop_locked();
  cv_.wait(lock, [&] { return done_locked(); });
  if (phase_ == Phase::ShutDown) refuse_if_shutting_down_locked();
}

void Workload::ask_to_stop_locked() {
  record_.stopped_by_user = true;
  transition_locked(Event::StopAsked);
  if (record_.state.kind == InstanceState::Kind::Running) {
    record_.state = InstanceState::stopping();
    persist_locked();
  }
  // The guest stops at its next check (loop header, call, blocking WASI call).
  interrupt_all_locked();
}

void Workload::stop(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mu_);
  refuse_if_shutting_down_locked();
  if (!thread_alive_locked()) return;
  if (!requested_signal_) requested_signal_ = "SIGTERM";
  ask_to_stop_locked();
  if (!cv_.wait_for(lock, timeout, [&] { return done_locked(); })) {
    // Still inside a host call that does not check for interrupts: report it as killed.
    requested_signal_ = "SIGKILL";
    interrupt_all_locked();
    cv_.wait(lock, [&] { return done_locked(); });
  }
  if (phase_ == Phase::ShutDown) refuse_if_shutting_down_locked();
}

void Workload::shutdown() {
  std::lock_guard lock(mu_);
  transition_locked(Event::Shutdown);
  interrupt_all_locked();
  log_->close();
}

void Workload::terminate_for_remove() {
  {
    std::lock_guard lock(mu_);
    transition_locked(Event::Remove);
    if (!requested_signal_) requested_signal_ = "SIGKILL";
    interrupt_all_locked();
  }
  join_thread();
  log_->close();
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

InstanceState Workload::state() {
  std::lock_guard lock(mu_);
  return record_.state;
}

void Workload::mark_entered() {
  std::lock_guard lock(mu_);
  entered_ = true;
  cv_.notify_all();
}

StartCheck Workload::wait_started() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return entered_ || (phase_ != Phase::Running && phase_ != Phase::Stopping); });
  return StartCheck{entered_, record_.state};
}

bool Workload::finished_for_good() {
  std::lock_guard lock(mu_);
  return done_locked();
}

WaitOutcome Workload::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return not_running_locked(); });
  check_wait_locked();
  return record_.outcome.value_or(WaitOutcome::exited(record_.state.code));
}

std::optional<WaitOutcome> Workload::wait(const std::function<bool()>& still_wanted) {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return not_running_locked(); })) {
    lock.unlock();
    const bool wanted = still_wanted();
    lock.lock();
    if (!wanted) return std::nullopt;
  }
  check_wait_locked();
  return record_.outcome.value_or(WaitOutcome::exited(record_.state.code));
}

void Workload::check_wait_locked() {
  if (phase_ == Phase::Removed && !record_.outcome)
    throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("instance {} was removed while waiting for it", name()));
  if ((phase_ == Phase::ShuttingDown || phase_ == Phase::ShutDown) && (!record_.state.finished() || record_.restart_pending))
    throw RuntimeError(RuntimeError::Kind::Conflict, fmt::format("the runtime is shutting down; {} did not finish", name()));
}

std::optional<WaitOutcome> Workload::wait_for(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return not_running_locked(); })) return std::nullopt;
  check_wait_locked();
  return record_.outcome.value_or(WaitOutcome::exited(record_.state.code));
}

InstanceInfo Workload::info() {
  std::lock_guard lock(mu_);
  InstanceInfo i = record_.info();
  i.restarting = phase_ == Phase::Restarting;
  i.health = health_;
  if (spec_.health.type == HealthSpec::Type::None) i.health.status = "none";
  i.mounts = mounts_.descriptions;
  i.warnings = spec_.warnings.value;
  if (spec_error_) i.warnings.push_back("cannot run: " + *spec_error_);
  return i;
}

uint64_t Workload::RunningExec::cpu_ns() const {
  if (!cpu_clock_valid) return 0;
  uint64_t now = thread_cpu_ns(cpu_clock);
  return now > cpu_start_ns ? now - cpu_start_ns : 0;
}

InstanceStats Workload::stats() {
  std::lock_guard lock(mu_);
  InstanceStats s;
  uint64_t cpu_ns = cpu_done_ns_ + (cpu_clock_valid_ ? thread_cpu_ns(cpu_clock_) : 0);
  for (const auto& [_, exec] : exec_stores_) cpu_ns += exec.cpu_ns();
  s.cpu_usage_usec = cpu_ns / 1000;
  if (store_) {
    memory_bytes_ = store_->memory_bytes();
    fuel_consumed_ = store_->fuel_consumed();
  }
  // Like a container's cgroup, the instance's memory includes that of the
  // commands exec'd in it while they run, and its fuel (its CPU) that of the
  // commands exec'd in it since the run began, running or ended.
  s.memory_bytes = memory_bytes_;
  s.fuel_consumed = fuel_consumed_ + exec_fuel_done_;
  for (const auto& [exec_store, exec] : exec_stores_) {
    s.memory_bytes += exec_store->memory_bytes();
    s.fuel_consumed += exec_store->fuel_consumed() - exec.fuel_before_run;
  }
  // A 32-bit memory cannot grow past 4 GiB whatever max_memory says.
  s.memory_limit = std::min(memory_limit().value_or(kWasm32Ceiling), kWasm32Ceiling);
  s.restart_count = record_.restart_count;
  s.timestamp = Clock::now();
  return s;
}

Workload::Sandbox Workload::build_sandbox(std::vector<std::string> args, OutputSink sink) {
  if (spec_error_) throw Error(*spec_error_);
  Sandbox sb;
  sb.config.args = std::move(args);
  sb.config.env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  for (const auto& [k, v] : spec_.env) sb.config.env.push_back(k + "=" + v);
  if (spec_.command.workdir) sb.config.env.push_back("PWD=" + *spec_.command.workdir);
  if (caps_.caps.filesystem) {
    sb.config.preopens = prepare_mounts(mounts_, name());
  }
  sb.config.output = std::move(sink);
  sb.limits.max_memory_bytes = memory_limit();
  if (spec_.wasm && spec_.wasm->max_fuel > 0) sb.limits.fuel = spec_.wasm->max_fuel;
  if (spec_.wasm && spec_.wasm->request_timeout) sb.limits.timeout = *spec_.wasm->request_timeout;
  return sb;
}

Workload::RunResult Workload::run_guest(Store& store, const Program& program, Sandbox& sb, const std::string& what,
                                        const std::function<void()>& on_entry) {
  auto failed = [&](const std::string& reason) {
    return RunResult{InstanceState::failed(reason), WaitOutcome{kExitRuntimeError, WaitReason::RuntimeError, std::nullopt, Clock::now()}};
  };
  Outcome outcome;
  try {
    outcome = run_program(store, program, std::move(sb.config),
                          RunProgramOptions{&shared_.linker, on_entry, socket_options(spec_, caps_)});
  } catch (const Error& e) {  // no entry point, an import missing, an entry point with parameters (each names the program)
    return failed(about(what, name(), e.what()));
  }
  return classify(outcome, store, what);
}

// How a run ended, in the runtime's terms (docs/runtime.md): the exit
// status as `wasmlet run` gives it (command_status), or the signal of a stop/kill.
Workload::RunResult Workload::classify(const Outcome& outcome, Store& store, const std::string& what) {
  std::optional<std::string> signal;
  {
    std::lock_guard lock(mu_);
    signal = requested_signal_;
  }
  auto now = Clock::now();
  // Interrupted by stop/kill (also when a blocking host call noticed the interrupt and trapped).
  if (outcome.trapped() && (outcome.trap.kind == TrapKind::Interrupted || (signal && store.interrupt_requested()))) {
    std::string sig = signal.value_or("SIGKILL");
    int code = 128 + signal_number(sig);
    return RunResult{InstanceState::exited(code), WaitOutcome{code, WaitReason::Signal, sig, now}};
  }
  const WasmConfig* wasm = spec_.wasm ? &*spec_.wasm : nullptr;
  LimitSettings limits;
  if (wasm && wasm->max_fuel > 0) limits.fuel = fmt::format("wasm.max_fuel {}", wasm->max_fuel);
  if (wasm && wasm->request_timeout)
    limits.timeout = fmt::format("wasm.request_timeout {}", format_duration(*wasm->request_timeout));
  if (wasm && wasm->max_memory) limits.memory = fmt::format("wasm.max_memory {}", *wasm->max_memory);
  CommandStatus status = command_status(outcome, store, limits);
  if (!status.trapped) {
    if (!status.message.empty()) log_->note(fmt::format("{}: {}", what, status.message));
    WaitReason why = status.status != 0 && store.memory_limit_hit() ? WaitReason::OomKilled : WaitReason::Exited;
    return RunResult{InstanceState::exited(status.status), WaitOutcome{status.status, why, std::nullopt, now}};
  }
  WaitReason why = status.out_of_memory ? WaitReason::OomKilled : WaitReason::RuntimeError;
  return RunResult{InstanceState::failed(fmt::format("{}: {}", what, status.message)),
                   WaitOutcome{status.status, why, std::nullopt, now}};
}

Workload::RunResult Workload::run_once() {
  auto fail = [&](const std::string& reason) {
    return RunResult{InstanceState::failed(reason), WaitOutcome{kExitRuntimeError, WaitReason::RuntimeError, std::nullopt, Clock::now()}};
  };
  std::string what = fmt::format("instance {} (image {})", name(), record_.image);
  set_starting(true);
  Program program;
  try {
    program = shared_.modules.get(record_.image_path, record_.image);
  } catch (const Error& e) {
    return fail(about(what, name(), e.what()));
  }
  std::vector<std::string> args{record_.image};
  if (spec_.command.entrypoint) args.insert(args.end(), spec_.command.entrypoint->begin(), spec_.command.entrypoint->end());
  if (spec_.command.args) args.insert(args.end(), spec_.command.args->begin(), spec_.command.args->end());
  Sandbox sb;
  try {
    sb = build_sandbox(std::move(args), [log = log_.get()](OutputStream s, std::span<const uint8_t> bytes) {
      log->write(s == OutputStream::Stdout ? LogStream::Stdout : LogStream::Stderr, bytes);
    });
    if (caps_.caps.sockets && !program.is_component())  // preview1 takes listeners; wasi:sockets is not there yet
      for (const auto& ep : spec_.endpoints) sb.config.listeners.push_back(open_listener(ep, name()));
  } catch (const Error& e) {
    for (int fd : sb.config.listeners) ::close(fd);
    return fail(about(what, name(), e.what()));
  }
  Store store(shared_.engine, sb.limits);
  {
    std::lock_guard lock(mu_);
    store_ = &store;
    if (requested_signal_ || phase_ != Phase::Running) store.interrupt();  // stopped, removed or shut down meanwhile
    // The new run's fuel count includes the execs' from now on only.
    exec_fuel_done_ = 0;
    for (auto& [exec_store, exec] : exec_stores_) exec.fuel_before_run = exec_store->fuel_consumed();
  }
  RunResult result;
  try {
    result = run_guest(store, program, sb, what, [this] {
      set_starting(false);
      mark_entered();
    });
  } catch (const std::exception& e) {
    result = fail(about(what, name(), e.what()));
  }
  std::lock_guard lock(mu_);
  memory_bytes_ = store.memory_bytes();
  fuel_consumed_ = store.fuel_consumed();
  store_ = nullptr;
  return result;
}

void Workload::set_starting(bool starting) {
  std::lock_guard lock(mu_);
  if (record_.starting == starting) return;
  record_.starting = starting;
  persist_locked();
}

void Workload::thread_main() {
  crash_blame::Scope blame(name());  // a fatal signal on this thread names this instance
  {
    std::lock_guard lock(mu_);
    if (pthread_getcpuclockid(pthread_self(), &cpu_clock_) == 0) cpu_clock_valid_ = true;
  }
  for (;;) {
    RunResult r = run_once();
    log_->flush_partial();
    std::unique_lock lock(mu_);
    if (record_.starting) {  // it ended before its entry point ran (a refused module, a stop during start)
      record_.starting = false;
      persist_locked();
    }
    if (shared_.shutting_down || phase_ == Phase::ShuttingDown || phase_ == Phase::Removed) {
      // Leave the record as it was ("running"): the next daemon decides, and
      // a waiter hears that the runtime shut down, not how the interrupt
      // ended the guest (a trap in a blocking call looked like a crash).
      break;
    }
    record_.state = r.state;
    record_.outcome = r.outcome;
    if (r.state.kind == InstanceState::Kind::Failed) log_->note(r.state.reason);
    if (phase_ == Phase::Running &&
        should_restart(spec_.restart_policy, r.outcome, record_.restart_count, record_.stopped_by_user)) {
      const auto ran_for = r.outcome.finished_at.value_or(Clock::now()) - record_.started_at.value_or(Clock::now());
      auto delay = backoff_.next(spec_.restart_policy, ran_for);
      transition_locked(Event::RunEndedRestart);
      // Recorded, so that a daemon stopped or killed during the back-off
      // restarts it when it starts again.
      record_.restart_pending = true;
      persist_locked();
      log_->note(fmt::format("{} ended ({}); restarting in {}ms (restart {})", name(), r.state.to_string(),
                             std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(), record_.restart_count + 1));
      if (cv_.wait_for(lock, delay, [&] { return phase_ != Phase::Restarting || shared_.shutting_down.load(); })) {
        if (!shared_.shutting_down && phase_ != Phase::Removed) {  // stopped during the back-off: no restart, now or later
          record_.restart_pending = false;
          persist_locked();
        }
        break;
      }
      transition_locked(Event::RestartDue);
      record_.restart_pending = false;
      ++record_.restart_count;
      record_.state = InstanceState::running();
      record_.started_at = Clock::now();
      record_.outcome.reset();
      persist_locked();
      continue;
    }
    persist_locked();
    break;
  }
  std::unique_ptr<HealthMonitor> monitor;
  {
    std::lock_guard lock(mu_);
    if (cpu_clock_valid_) cpu_done_ns_ += thread_cpu_ns(cpu_clock_);
    cpu_clock_valid_ = false;
    monitor = std::move(health_monitor_);  // health is checked while the instance runs
    log_->close();
    transition_locked(Event::ThreadEnded);
  }
  monitor.reset();  // joins the monitor, outside the lock its updates take
}

void Workload::recover_after_agent_restart(const std::optional<std::string>& crash_signal) {
  std::lock_guard lock(mu_);
  WaitOutcome o{kExitRuntimeError, WaitReason::RuntimeError, std::nullopt, Clock::now()};
  if (record_.starting || crash_signal) {
    std::string what = crash_signal ? fmt::format("the daemon crashed ({}) while running it", *crash_signal)
                                    : "the daemon ended while starting it (loading its module); it may have crashed the daemon";
    record_.starting = false;
    record_.state = InstanceState::failed(fmt::format(
        "instance {} (image {}): {}, so it is not restarted automatically: see `wasmlet logs {}`, then `wasmlet start {}` or "
        "`wasmlet rm {}`",
        name(), record_.image, what, name(), name(), name()));
    record_.outcome = o;
    log_->note(record_.state.reason);
    persist_locked();
    return;
  }
  // One waiting out its back-off had its restart decided on how its last run ended.
  const char* doing = record_.restart_pending ? "waiting to restart" : "running";
  bool restart = !record_.stopped_by_user && !spec_error_ &&
                 should_restart(spec_.restart_policy, record_.restart_pending ? record_.outcome.value_or(o) : o,
                                record_.restart_count, record_.stopped_by_user);
  if (restart) {
    ++record_.restart_count;
    log_->note(fmt::format("the agent restarted while {} was {}; restarting it (restart {})", name(), doing, record_.restart_count));
    launch_locked();
    start_health_locked();
    return;
  }
  if (record_.restart_pending) {  // it cannot run now (its recorded spec is unreadable): it stays as its last run ended
    record_.restart_pending = false;
    log_->note(fmt::format("the agent restarted while {} was {}; it is not restarted", name(), doing));
    persist_locked();
    return;
  }
  record_.state = InstanceState::failed("agent restarted");
  record_.outcome = o;
  log_->note(fmt::format("the agent restarted while {} was running; it is now failed", name()));
  persist_locked();
}

void Workload::start_with_the_daemon() {
  {
    std::lock_guard lock(mu_);
    if (spec_error_) return;  // it cannot run: it stays as the user left it
    if (spec_.restart_policy.kind == RestartPolicy::Kind::OnFailure)
      log_->note(fmt::format("the agent started: starting {} again, though a user had stopped it, as its restart policy is "
                             "on_failure and its last run failed ({}), as docker's daemon does (unless_stopped keeps it stopped)",
                             name(), record_.state.to_string()));
    else
      log_->note(fmt::format("the agent started: starting {} again, though a user had stopped it, as its restart policy "
                             "is always (unless_stopped keeps it stopped)",
                             name()));
  }
  start();  // as a user's start: its restart count begins again at 0
}

void Workload::exec_stream(const std::vector<std::string>& cmd, const ExecCallback& on_event, ExecCancel* cancel) {
  if (cmd.empty()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("exec in {}: the command is empty", name()));
  std::string what = fmt::format("exec in instance {} (image {})", name(), record_.image);
  Program program = [&] {
    try {
      return shared_.modules.get(record_.image_path, record_.image);
    } catch (const Error& e) {
      throw RuntimeError(RuntimeError::Kind::Conflict, about(what, name(), e.what()));
    }
  }();
  std::vector<std::string> args{record_.image};
  args.insert(args.end(), cmd.begin(), cmd.end());
  std::mutex out_mu;
  Sandbox sb;
  try {
    sb = build_sandbox(std::move(args), [&](OutputStream s, std::span<const uint8_t> bytes) {
      std::lock_guard l(out_mu);
      on_event(ExecEvent{s == OutputStream::Stdout ? ExecEvent::Kind::Stdout : ExecEvent::Kind::Stderr,
                         std::string(bytes.begin(), bytes.end()), 0});
    });
  } catch (const Error& e) {
    throw RuntimeError(RuntimeError::Kind::Conflict, about(what, name(), e.what()));
  }
  Store store(shared_.engine, sb.limits);
  {
    std::lock_guard lock(mu_);
    if (phase_ == Phase::Removed) throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("instance {} was removed", name()));
    RunningExec running;
    if (pthread_getcpuclockid(pthread_self(), &running.cpu_clock) == 0) {
      running.cpu_clock_valid = true;
      running.cpu_start_ns = thread_cpu_ns(running.cpu_clock);
    }
    exec_stores_[&store] = running;
  }
  if (cancel) cancel->attach(&store);
  RunResult r;
  try {
    r = run_guest(store, program, sb, what);
  } catch (const std::exception& e) {
    r = RunResult{InstanceState::failed(e.what()), WaitOutcome{kExitRuntimeError, WaitReason::RuntimeError, std::nullopt, Clock::now()}};
  }
  if (cancel) cancel->attach(nullptr);
  {
    std::lock_guard lock(mu_);
    const RunningExec& ended = exec_stores_[&store];
    cpu_done_ns_ += ended.cpu_ns();
    exec_fuel_done_ += store.fuel_consumed() - ended.fuel_before_run;
    exec_stores_.erase(&store);
  }
  if (r.state.kind == InstanceState::Kind::Failed) on_event(ExecEvent{ExecEvent::Kind::Stderr, r.state.reason + "\n", 0});
  on_event(ExecEvent{ExecEvent::Kind::Exit, {}, r.outcome.exit_code});
}

}  // namespace wasmlet::runtime
