#include "instance.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "crash_blame.h"
#include "crash_probe.h"
#include "restart_policy.h"
#include "wasmlet/binary_kind.h"
#include "wasmlet/byte_size.h"
#include "wasmlet/duration.h"
#include "wasmlet/error.h"
#include "wasmlet/instance.h"
#include "wasmlet/outcome.h"
#include "wasmlet/wasi.h"
#include "wasmlet/wasi_command.h"

namespace wasmlet::runtime {

namespace {

constexpr uint64_t kWasm32Ceiling = 4ull << 30;
// How long checking a module in a child process may take (a 30 MB module takes seconds).
constexpr std::chrono::seconds kCheckTimeLimit{120};

uint64_t thread_cpu_ns(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::vector<uint8_t> read_file(const std::filesystem::path& file, const std::string& image) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Error(fmt::format("cannot read the module of image '{}' from the image store: {} (pull it again)", image,
                            std::strerror(errno)));
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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

}  // namespace

Program ModuleCache::get(const std::filesystem::path& file, const std::string& image) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  auto mtime = std::filesystem::last_write_time(file, ec);
  std::string stamp = fmt::format("{}:{}", size, mtime.time_since_epoch().count());
  const std::string key = file.string() + "\n" + image;
  {
    std::lock_guard lock(mu_);
    auto it = programs_.find(key);
    if (it != programs_.end() && it->second.first == stamp) return it->second.second;
  }
  std::vector<uint8_t> bytes = read_file(file, image);
  auto kind = detect_binary_kind(bytes);
  if (kind.kind == BinaryKind::Unknown) throw Error(fmt::format("not a WebAssembly module or component: {}", kind.reason));
  auto compile = [&](Engine& engine) {
    Program program;
    if (kind.kind == BinaryKind::Component)
      program.component = component::CompiledComponent::compile(engine, bytes, image);
    else
      program.module = Module::compile(engine, bytes, image);
    return program;
  };
  // Decode, validate and rewrite the untrusted bytes in a child process
  // first (the interpreter tier: no compiler, threads or shared objects), so
  // that an engine bug they reach crashes the child, not the daemon.
  EngineConfig check_config;
  check_config.tier = Tier::Interpreter;
  check_config.on_note = [](const std::string&) {};
  if (auto crash = crash_in_child([&] {
        Engine check_engine(check_config);
        compile(check_engine);
      }, kCheckTimeLimit))
    throw Error(fmt::format("the module cannot be loaded: checking it in a separate process, wasmlet's compiler {} (a "
                            "wasmlet bug: please report it with the image; the daemon and other instances are not affected)",
                            *crash));
  Program program = compile(engine_);
  std::lock_guard lock(mu_);
  programs_.insert_or_assign(key, std::make_pair(stamp, program));
  return program;
}

Instance::Instance(RuntimeShared& shared, InstanceRecord record, ServiceSpec spec, std::unique_ptr<InstanceLog> log,
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

Instance::~Instance() {
  shutdown();
  join_thread();
}

std::optional<uint64_t> Instance::memory_limit() const {
  if (spec_.wasm && spec_.wasm->max_memory) return parse_byte_size(*spec_.wasm->max_memory);
  return std::nullopt;
}

void Instance::persist_locked() {
  if (removed_) return;
  try {
    shared_.db->put(record_);
  } catch (const Error& e) {
    // The in-memory state stays right; say why the record is behind.
    log_->note(fmt::format("cannot record the state of {}: {}", name(), e.what()));
  }
}

bool Instance::done_locked() const {
  return removed_ || (shut_down_ && !thread_running_) || (record_.state.finished() && !restart_pending_ && !thread_running_);
}

void Instance::join_thread() {
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

void Instance::launch_locked() {
  record_.state = InstanceState::running();
  record_.started_at = Clock::now();
  record_.outcome.reset();
  record_.stopped_by_user = false;
  requested_signal_.reset();
  cancel_restart_ = false;
  restart_pending_ = false;
  thread_running_ = true;
  entered_ = false;
  log_->reopen();
  persist_locked();
  thread_ = StackThread(kInstanceStackBytes, [this] { thread_main(); });
}

void Instance::start() {
  StackThread old;
  std::unique_ptr<HealthMonitor> old_monitor;
  {
    std::unique_lock lock(mu_);
    if (removed_) throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("instance {} was removed", name()));
    if (record_.state.active() || thread_running_) return;  // already running: nothing to do
    if (restart_pending_) return;
    old = std::move(thread_);
    old_monitor = std::move(health_monitor_);
  }
  if (old.joinable()) old.join();
  old_monitor.reset();
  std::lock_guard lock(mu_);
  if (record_.state.active() || thread_running_ || removed_) return;
  launch_locked();
  start_health_locked();
}

void Instance::start_health_locked() {
  if (spec_.health.type == HealthSpec::Type::None || health_monitor_) return;
  uint16_t port = spec_.endpoints.empty() ? 0 : spec_.endpoints.front().port;
  health_monitor_ = std::make_unique<HealthMonitor>(spec_.health, port, [this](const HealthDetail& d) {
    std::lock_guard l(mu_);
    health_ = d;
  });
}

void Instance::interrupt_all_locked() {
  if (store_) store_->interrupt();
  for (Store* s : exec_stores_) s->interrupt();
}

void Instance::kill(const std::string& canonical_signal) {
  std::unique_lock lock(mu_);
  if (record_.state.kind == InstanceState::Kind::Pending && !thread_running_) return;
  if (restart_pending_) {  // between two runs: just cancel the restart
    record_.stopped_by_user = true;
    cancel_restart_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return done_locked(); });
    return;
  }
  if (!thread_running_) return;  // finished: idempotent
  record_.stopped_by_user = true;
  requested_signal_ = canonical_signal;
  cancel_restart_ = true;
  if (record_.state.kind == InstanceState::Kind::Running) {
    record_.state = InstanceState::stopping();
    persist_locked();
  }
  interrupt_all_locked();
  cv_.notify_all();
  // The guest stops at its next check (loop header, call, blocking WASI call).
  cv_.wait(lock, [&] { return done_locked(); });
}

void Instance::stop(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mu_);
  if (!thread_running_ && !restart_pending_) return;
  record_.stopped_by_user = true;
  cancel_restart_ = true;
  if (!requested_signal_) requested_signal_ = "SIGTERM";
  if (record_.state.kind == InstanceState::Kind::Running) {
    record_.state = InstanceState::stopping();
    persist_locked();
  }
  interrupt_all_locked();
  cv_.notify_all();
  if (cv_.wait_for(lock, timeout, [&] { return done_locked(); })) return;
  // Still inside a host call that does not check for interrupts: report it as killed.
  requested_signal_ = "SIGKILL";
  interrupt_all_locked();
  cv_.wait(lock, [&] { return done_locked(); });
}

void Instance::shutdown() {
  std::lock_guard lock(mu_);
  shut_down_ = true;
  cancel_restart_ = true;
  interrupt_all_locked();
  cv_.notify_all();
  log_->close();
}

void Instance::terminate_for_remove() {
  {
    std::lock_guard lock(mu_);
    removed_ = true;
    cancel_restart_ = true;
    if (!requested_signal_) requested_signal_ = "SIGKILL";
    interrupt_all_locked();
    cv_.notify_all();
  }
  join_thread();
  log_->close();
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

InstanceState Instance::state() {
  std::lock_guard lock(mu_);
  return record_.state;
}

void Instance::mark_entered() {
  std::lock_guard lock(mu_);
  entered_ = true;
  cv_.notify_all();
}

StartCheck Instance::wait_started() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return entered_ || !thread_running_ || restart_pending_ || removed_ || shut_down_; });
  return StartCheck{entered_, record_.state};
}

bool Instance::finished_for_good() {
  std::lock_guard lock(mu_);
  return done_locked();
}

WaitOutcome Instance::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_locked(); });
  check_wait_locked();
  return record_.outcome.value_or(WaitOutcome::exited(record_.state.code));
}

void Instance::check_wait_locked() {
  if (removed_ && !record_.outcome)
    throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("instance {} was removed while waiting for it", name()));
  if (shut_down_ && !record_.state.finished())
    throw RuntimeError(RuntimeError::Kind::Conflict, fmt::format("the runtime is shutting down; {} did not finish", name()));
}

std::optional<WaitOutcome> Instance::wait_for(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return done_locked(); })) return std::nullopt;
  check_wait_locked();
  return record_.outcome.value_or(WaitOutcome::exited(record_.state.code));
}

InstanceInfo Instance::info() {
  std::lock_guard lock(mu_);
  InstanceInfo i = record_.info();
  i.health = health_;
  if (spec_.health.type == HealthSpec::Type::None) i.health.status = "none";
  i.mounts = mounts_.descriptions;
  i.warnings = spec_.warnings.value;
  if (spec_error_) i.warnings.push_back("cannot run: " + *spec_error_);
  return i;
}

InstanceStats Instance::stats() {
  std::lock_guard lock(mu_);
  InstanceStats s;
  s.cpu_usage_usec = (cpu_done_ns_ + (cpu_clock_valid_ ? thread_cpu_ns(cpu_clock_) : 0)) / 1000;
  if (store_) {
    memory_bytes_ = store_->memory_bytes();
    fuel_consumed_ = store_->fuel_consumed();
  }
  s.memory_bytes = memory_bytes_;
  s.fuel_consumed = fuel_consumed_;
  s.memory_limit = memory_limit().value_or(kWasm32Ceiling);
  s.restart_count = record_.restart_count;
  s.timestamp = Clock::now();
  return s;
}

Instance::Sandbox Instance::build_sandbox(std::vector<std::string> args, OutputSink sink) {
  if (spec_error_) throw Error(*spec_error_);
  Sandbox sb;
  sb.config.args = std::move(args);
  sb.config.env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  for (const auto& [k, v] : spec_.env) sb.config.env.push_back(k + "=" + v);
  if (spec_.command.workdir) sb.config.env.push_back("PWD=" + *spec_.command.workdir);
  if (caps_.caps.filesystem) {
    prepare_mounts(mounts_, name());
    sb.config.preopens = mounts_.preopens;
  }
  sb.config.output = std::move(sink);
  sb.limits.max_memory_bytes = memory_limit();
  if (spec_.wasm && spec_.wasm->max_fuel > 0) sb.limits.fuel = spec_.wasm->max_fuel;
  if (spec_.wasm && spec_.wasm->request_timeout) sb.limits.timeout = *spec_.wasm->request_timeout;
  return sb;
}

Instance::RunResult Instance::run_guest(Store& store, const Program& program, Sandbox& sb, const std::string& what,
                                        const std::function<void()>& on_entry) {
  auto failed = [&](const std::string& reason) {
    return RunResult{InstanceState::failed(reason), WaitOutcome{kExitRuntimeError, WaitReason::RuntimeError, std::nullopt, Clock::now()}};
  };
  if (program.component) {
    component::WasiHost host(std::move(sb.config), socket_options(spec_, caps_));
    Outcome outcome;
    if (on_entry) on_entry();
    try {
      outcome = component::run_component(store, *program.component, host);
    } catch (const LinkError& e) {
      return failed(fmt::format("{}: cannot run the component: {}", what, e.what()));
    }
    return classify(outcome, store, what);
  }
  const Module& module = *program.module;
  try {
    // The same refusal as `wasmlet run`: no entry point, or one with parameters.
    if (!command_entry(module))
      return failed(
          fmt::format("{}: {}: no entry point: the module exports neither '_start' nor 'main'", what, module.name()));
  } catch (const LinkError& e) {
    return failed(fmt::format("{}: {}", what, e.what()));
  }
  Outcome outcome;
  try {
    outcome = run_wasi_command(store, module, std::move(sb.config), CommandOptions{&shared_.linker, on_entry});
  } catch (const LinkError& e) {
    return failed(fmt::format("{}: cannot link the module: {}", what, e.what()));
  }
  return classify(outcome, store, what);
}

// How a run ended, in the runtime's terms (docs/runtime.md): the exit
// status as `wasmlet run` gives it (command_status), or the signal of a stop/kill.
Instance::RunResult Instance::classify(const Outcome& outcome, Store& store, const std::string& what) {
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

Instance::RunResult Instance::run_once() {
  auto fail = [&](const std::string& reason) {
    return RunResult{InstanceState::failed(reason), WaitOutcome{kExitRuntimeError, WaitReason::RuntimeError, std::nullopt, Clock::now()}};
  };
  std::string what = fmt::format("instance {} (image {})", name(), record_.image);
  set_starting(true);
  Program program;
  try {
    program = shared_.modules.get(record_.image_path, record_.image);
  } catch (const Error& e) {
    return fail(fmt::format("{}: {}", what, e.what()));
  }
  std::vector<std::string> args{record_.image};
  if (spec_.command.entrypoint) args.insert(args.end(), spec_.command.entrypoint->begin(), spec_.command.entrypoint->end());
  if (spec_.command.args) args.insert(args.end(), spec_.command.args->begin(), spec_.command.args->end());
  Sandbox sb;
  try {
    sb = build_sandbox(std::move(args), [log = log_.get()](OutputStream s, std::span<const uint8_t> bytes) {
      log->write(s == OutputStream::Stdout ? LogStream::Stdout : LogStream::Stderr, bytes);
    });
    if (caps_.caps.sockets && program.module)  // preview1 takes listeners; wasi:sockets is not there yet
      for (const auto& ep : spec_.endpoints) sb.config.listeners.push_back(open_listener(ep, name()));
  } catch (const Error& e) {
    for (int fd : sb.config.listeners) ::close(fd);
    return fail(fmt::format("{}: {}", what, e.what()));
  }
  Store store(shared_.engine, sb.limits);
  {
    std::lock_guard lock(mu_);
    store_ = &store;
    if (requested_signal_ || cancel_restart_) store.interrupt();
  }
  RunResult result;
  try {
    result = run_guest(store, program, sb, what, [this] {
      set_starting(false);
      mark_entered();
    });
  } catch (const std::exception& e) {
    result = fail(fmt::format("{}: {}", what, e.what()));
  }
  std::lock_guard lock(mu_);
  memory_bytes_ = store.memory_bytes();
  fuel_consumed_ = store.fuel_consumed();
  store_ = nullptr;
  return result;
}

void Instance::set_starting(bool starting) {
  std::lock_guard lock(mu_);
  if (record_.starting == starting) return;
  record_.starting = starting;
  persist_locked();
}

void Instance::thread_main() {
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
    if (shared_.shutting_down || removed_) {
      // Leave the record as it was ("running"): the next daemon decides.
      record_.state = r.state;
      record_.outcome = r.outcome;
      break;
    }
    record_.state = r.state;
    record_.outcome = r.outcome;
    if (r.state.kind == InstanceState::Kind::Failed) log_->note(r.state.reason);
    if (!cancel_restart_ && should_restart(spec_.restart_policy, r.outcome, record_.restart_count, record_.stopped_by_user)) {
      auto delay = restart_backoff(spec_.restart_policy, record_.restart_count);
      restart_pending_ = true;
      persist_locked();
      log_->note(fmt::format("{} ended ({}); restarting in {}ms (restart {})", name(), r.state.to_string(),
                             std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(), record_.restart_count + 1));
      cv_.notify_all();
      if (cv_.wait_for(lock, delay, [&] { return cancel_restart_ || shared_.shutting_down.load(); })) {
        restart_pending_ = false;
        if (!shared_.shutting_down && !removed_) persist_locked();
        break;
      }
      restart_pending_ = false;
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
    thread_running_ = false;
    monitor = std::move(health_monitor_);  // health is checked while the instance runs
    log_->close();
    cv_.notify_all();
  }
  monitor.reset();  // joins the monitor, outside the lock its updates take
}

void Instance::recover_after_agent_restart(const std::optional<std::string>& crash_signal) {
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
  bool restart = !record_.stopped_by_user && !spec_error_ &&
                 should_restart(spec_.restart_policy, o, record_.restart_count, record_.stopped_by_user);
  if (restart) {
    ++record_.restart_count;
    log_->note(fmt::format("the agent restarted while {} was running; restarting it (restart {})", name(), record_.restart_count));
    launch_locked();
    start_health_locked();
    return;
  }
  record_.state = InstanceState::failed("agent restarted");
  record_.outcome = o;
  log_->note(fmt::format("the agent restarted while {} was running; it is now failed", name()));
  persist_locked();
}

void Instance::exec_stream(const std::vector<std::string>& cmd, const ExecCallback& on_event) {
  if (cmd.empty()) throw RuntimeError(RuntimeError::Kind::InvalidArgument, fmt::format("exec in {}: the command is empty", name()));
  std::string what = fmt::format("exec in instance {} (image {})", name(), record_.image);
  Program program = [&] {
    try {
      return shared_.modules.get(record_.image_path, record_.image);
    } catch (const Error& e) {
      throw RuntimeError(RuntimeError::Kind::Conflict, fmt::format("{}: {}", what, e.what()));
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
    throw RuntimeError(RuntimeError::Kind::Conflict, fmt::format("{}: {}", what, e.what()));
  }
  Store store(shared_.engine, sb.limits);
  {
    std::lock_guard lock(mu_);
    if (removed_) throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("instance {} was removed", name()));
    exec_stores_.insert(&store);
  }
  RunResult r;
  try {
    r = run_guest(store, program, sb, what);
  } catch (const std::exception& e) {
    r = RunResult{InstanceState::failed(e.what()), WaitOutcome{kExitRuntimeError, WaitReason::RuntimeError, std::nullopt, Clock::now()}};
  }
  {
    std::lock_guard lock(mu_);
    exec_stores_.erase(&store);
  }
  if (r.state.kind == InstanceState::Kind::Failed) on_event(ExecEvent{ExecEvent::Kind::Stderr, r.state.reason + "\n", 0});
  on_event(ExecEvent{ExecEvent::Kind::Exit, {}, r.outcome.exit_code});
}

}  // namespace wasmlet::runtime
