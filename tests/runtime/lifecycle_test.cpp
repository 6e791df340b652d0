// WasmRuntime in-process: the lifecycle tests of the seed (003) and of issue 4.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "runtime/restart_policy.h"
#include "runtime_support.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {
namespace {

using testing::fixture;
using testing::service;
using testing::TempDir;

class Lifecycle : public ::testing::Test {
 protected:
  TempDir dir;
  std::unique_ptr<WasmRuntime> rt = std::make_unique<WasmRuntime>(WasmRuntimeConfig{dir.path() / "data"});
  InstanceId id{"svc", 1};

  static ServiceSpec restarting(const std::string& code, RestartPolicy::Kind kind, std::chrono::nanoseconds delay) {
    auto spec = service(fixture("exit_code"), {code});
    spec.restart_policy.kind = kind;
    spec.restart_policy.delay = delay;
    return spec;
  }

  std::vector<std::string> messages(const InstanceId& i) {
    std::vector<std::string> out;
    for (const auto& e : rt->logs(i)) out.push_back(e.message);
    return out;
  }
};

TEST(RuntimeConfig, CreatesItsDataDirectory) {  // seed: test_runtime_creates_cache_directory
  TempDir dir;
  auto nested = dir.path() / "deep/nested/data";
  WasmRuntime rt{WasmRuntimeConfig{nested}};
  EXPECT_TRUE(std::filesystem::is_directory(nested / "oci"));  // the image store
  EXPECT_TRUE(std::filesystem::exists(nested / "state.db"));
}

TEST(RuntimeConfig, InstancesSurviveTheRuntime) {
  TempDir dir;
  InstanceId done{"done", 0}, running{"running", 0}, created{"created", 0};
  {
    WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
    rt.create(done, service(fixture("exit_code"), {"5"}));
    rt.start(done);
    rt.wait(done);
    rt.create(running, service(fixture("loop_forever")));
    rt.start(running);
    rt.create(created, service(fixture("exit_code")));
  }  // like a daemon going away with `running` still running
  WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
  EXPECT_EQ(rt.state(done), InstanceState::exited(5));
  EXPECT_EQ(rt.wait_outcome(done).reason, WaitReason::Exited);
  EXPECT_EQ(rt.state(running), InstanceState::failed("agent restarted"));
  EXPECT_EQ(rt.state(created), InstanceState::pending());
  rt.start(created);
  EXPECT_EQ(rt.wait(created), 0);
}

// A runtime that goes away while an instance waits out its restart back-off
// (the record then holds the last run's end) restarts it when it comes back.
TEST(RuntimeConfig, APendingRestartSurvivesTheRuntime) {
  TempDir dir;
  InstanceId waiting{"waiting", 0}, stopped{"stopped", 0};
  auto spec = service(fixture("exit_code"), {"1"});
  spec.restart_policy.kind = RestartPolicy::Kind::UnlessStopped;
  spec.restart_policy.delay = std::chrono::seconds(30);
  auto noted = [](const LogEntry& e) { return e.message.find("restarting in") == std::string::npos; };
  {
    WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
    for (const auto& i : {waiting, stopped}) {
      rt.create(i, spec);
      rt.start(i);
      rt.follow_logs(i, {}, noted);
      ASSERT_TRUE(rt.inspect(i).restarting);
    }
    rt.stop(stopped, std::chrono::seconds(1));  // a user stop cancels the restart, now and later
  }
  WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
  EXPECT_EQ(rt.inspect(waiting).restart_count, 1u);
  bool restarted = false;
  for (const auto& e : rt.logs(waiting)) restarted |= e.message.find("was waiting to restart; restarting it") != std::string::npos;
  EXPECT_TRUE(restarted);
  EXPECT_EQ(rt.inspect(stopped).restart_count, 0u);
  EXPECT_FALSE(rt.inspect(stopped).restarting);
  EXPECT_EQ(rt.state(stopped), InstanceState::exited(1));
  rt.kill(waiting);
}

// As docker's daemon: when the runtime starts again, an `always` instance
// that a user stopped runs again (a stop lasts until then), an
// `unless_stopped` one stays stopped, and one never started stays created.
TEST(RuntimeConfig, AnAlwaysInstanceStoppedByAUserStartsWithTheRuntime) {
  TempDir dir;
  InstanceId always{"always", 0}, unless_stopped{"unless-stopped", 0}, created{"created", 0};
  auto looping = [](RestartPolicy::Kind kind) {
    auto spec = service(fixture("loop_forever"));
    spec.restart_policy.kind = kind;
    return spec;
  };
  {
    WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
    rt.create(always, looping(RestartPolicy::Kind::Always));
    rt.create(unless_stopped, looping(RestartPolicy::Kind::UnlessStopped));
    rt.create(created, looping(RestartPolicy::Kind::Always));
    for (const auto& i : {always, unless_stopped}) {
      rt.start(i);
      ASSERT_TRUE(rt.wait_started(i).entered);
      rt.stop(i, std::chrono::seconds(1));
      ASSERT_EQ(rt.state(i), InstanceState::exited(143));
    }
  }
  WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
  EXPECT_EQ(rt.state(always), InstanceState::running());
  bool noted = false;
  for (const auto& e : rt.logs(always)) noted |= e.message.find("though a user had stopped it") != std::string::npos;
  EXPECT_TRUE(noted) << "the log does not say why the instance runs again";
  EXPECT_EQ(rt.state(unless_stopped), InstanceState::exited(143));
  EXPECT_EQ(rt.state(created), InstanceState::pending());
  rt.kill(always);
}

// As docker's daemon (moby daemon.restore asks the restart manager with the
// last exit code, and on-failure's rule does not read "manually stopped"):
// an `on_failure` instance a user stopped (143) or killed (137) starts with
// the runtime, its restart count back at 0, unless its attempts are spent.
TEST(RuntimeConfig, AnOnFailureInstanceStoppedByAUserStartsWithTheRuntime) {
  TempDir dir;
  InstanceId stopped{"stopped", 0}, spent{"spent", 0};
  auto looping = [](std::optional<uint32_t> max_attempts) {
    auto spec = service(fixture("loop_forever"));
    spec.restart_policy.kind = RestartPolicy::Kind::OnFailure;
    spec.restart_policy.max_attempts = max_attempts;
    return spec;
  };
  {
    WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
    rt.create(stopped, looping(std::nullopt));
    rt.create(spent, looping(1));
    for (const auto& i : {stopped, spent}) {
      rt.start(i);
      ASSERT_TRUE(rt.wait_started(i).entered);
    }
    rt.stop(stopped, std::chrono::seconds(1));
    ASSERT_EQ(rt.state(stopped), InstanceState::exited(143));
  }  // `spent` was running: the next runtime restarts it (its one attempt)
  {
    WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
    EXPECT_EQ(rt.state(stopped), InstanceState::running());
    bool noted = false;
    for (const auto& e : rt.logs(stopped))
      noted |= e.message.find("as its restart policy is on_failure and its last run failed (exited(143))") != std::string::npos;
    EXPECT_TRUE(noted) << "the log does not say why the instance runs again";
    ASSERT_EQ(rt.state(spent), InstanceState::running());
    ASSERT_EQ(rt.inspect(spent).restart_count, 1u);
    ASSERT_TRUE(rt.wait_started(spent).entered);
    rt.stop(spent, std::chrono::seconds(1));
    ASSERT_TRUE(rt.wait_started(stopped).entered);
    rt.kill(stopped, std::nullopt);
    ASSERT_EQ(rt.state(stopped), InstanceState::exited(137));
  }
  WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
  EXPECT_EQ(rt.state(stopped), InstanceState::running());  // a kill's 137 is a failure too
  EXPECT_EQ(rt.inspect(stopped).restart_count, 0u);
  EXPECT_EQ(rt.state(spent), InstanceState::exited(143));  // on_failure:1 with 1 restart done
  rt.kill(stopped, std::nullopt);
}

// Which instances a user stopped start again with the daemon, by policy and
// last run (moby: restartmanager.ShouldRestart at daemon.restore).
TEST(RestartPolicy, WhatAUserStoppedStartsAgainWithTheDaemon) {
  auto policy = [](RestartPolicy::Kind kind, std::optional<uint32_t> max = std::nullopt) {
    RestartPolicy p;
    p.kind = kind;
    p.max_attempts = max;
    return p;
  };
  using K = RestartPolicy::Kind;
  const WaitOutcome stop{143, WaitReason::Signal, "SIGTERM", std::nullopt}, clean = WaitOutcome::exited(0),
      failed = WaitOutcome::exited(1);
  EXPECT_TRUE(starts_again_with_the_daemon(policy(K::Always), true, stop, 0));
  EXPECT_TRUE(starts_again_with_the_daemon(policy(K::Always), true, clean, 0));
  EXPECT_FALSE(starts_again_with_the_daemon(policy(K::UnlessStopped), true, stop, 0));
  EXPECT_FALSE(starts_again_with_the_daemon(policy(K::No), true, stop, 0));
  EXPECT_TRUE(starts_again_with_the_daemon(policy(K::OnFailure), true, stop, 0));
  EXPECT_TRUE(starts_again_with_the_daemon(policy(K::OnFailure), true, failed, 7));
  EXPECT_FALSE(starts_again_with_the_daemon(policy(K::OnFailure), true, clean, 0));  // the guest ended well when asked to stop
  EXPECT_FALSE(starts_again_with_the_daemon(policy(K::OnFailure), true, std::nullopt, 0));
  EXPECT_TRUE(starts_again_with_the_daemon(policy(K::OnFailure, 2), true, stop, 1));
  EXPECT_FALSE(starts_again_with_the_daemon(policy(K::OnFailure, 2), true, stop, 2));
  // Not stopped by a user: decided elsewhere (a run the daemon's end cut short, a back-off).
  EXPECT_FALSE(starts_again_with_the_daemon(policy(K::Always), false, stop, 0));
  EXPECT_FALSE(starts_again_with_the_daemon(policy(K::OnFailure), false, failed, 0));
}

TEST_F(Lifecycle, CreateGivesPending) {  // seed: test_load_valid_module
  rt->create(id, service(fixture("exit_code")));
  EXPECT_EQ(rt->state(id), InstanceState::pending());
}

// As `docker wait` (its default condition, "not-running"): an instance
// created and never started is answered at once, exit code 0 (it blocked
// until someone started it).
TEST_F(Lifecycle, WaitOnACreatedInstanceAnswersAtOnce) {
  rt->create(id, service(fixture("exit_code"), {"3"}));
  auto outcome = rt->wait_outcome_for(id, std::chrono::seconds(5));
  ASSERT_TRUE(outcome.has_value()) << "wait blocked on an instance that was never started";
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(outcome->reason, WaitReason::Exited);
  EXPECT_EQ(rt->state(id), InstanceState::pending());
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 3);
}

TEST_F(Lifecycle, FullLifecycleExitZero) {  // seed: test_module_executes_and_completes, test_wasi_proc_exit_available
  rt->create(id, service(fixture("exit_code"), {"0"}));
  EXPECT_EQ(rt->state(id), InstanceState::pending());
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 0);
  EXPECT_EQ(rt->state(id), InstanceState::exited(0));
  auto o = rt->wait_outcome(id);
  EXPECT_EQ(o.reason, WaitReason::Exited);
  EXPECT_FALSE(o.signal);
  ASSERT_TRUE(o.finished_at);
  EXPECT_LE(*o.finished_at, Clock::now());
  rt->remove(id);
  EXPECT_THROW(rt->state(id), RuntimeError);
}

TEST_F(Lifecycle, ExitCodeIsPassedAndStateReflectsIt) {  // seed: test_wasi_exit_code_passed_correctly
  rt->create(id, service(fixture("exit_code"), {"42"}));
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 42);
  EXPECT_EQ(rt->state(id), InstanceState::exited(42));
}

TEST_F(Lifecycle, MainExportReturnValueIsTheExitCode) {
  rt->create(id, service(fixture("main_only")));
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 5);
}

TEST_F(Lifecycle, RunsACommandComponent) {
  auto path = std::filesystem::path(COMPONENT_DIR) / "p2_echo.component.wasm";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " was not built (jco missing: npm ci)";
  rt->create(id, service(path.string(), {"caf\xc3\xa9"}));
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 0) << rt->state(id).to_string();
  EXPECT_EQ(messages(id), (std::vector<std::string>{"hello", "caf\xc3\xa9"}));
  InstanceId two{"svc", 2};
  rt->create(two, service(path.string(), {"a", "b"}));
  rt->start(two);
  EXPECT_EQ(rt->wait(two), 1);  // its wasi:cli/exit
  auto r = rt->exec(id, {"x"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "hello\nx\n");
}

TEST_F(Lifecycle, ComponentExitCodeAndSocketsCapability) {
  // tests/component's wasip2 builds: exit codes through
  // wasi:cli/exit.exit-with-code, a listener through wasi:sockets.
  auto components = std::filesystem::path(COMPONENT_DIR);
  auto exit_code = components / "exit_code.wasip2.component.wasm";
  auto echo = components / "tcp_echo_once.wasip2.component.wasm";
  if (!std::filesystem::exists(exit_code)) GTEST_SKIP() << exit_code << " was not built (jco missing: npm ci)";
  rt->create(id, service(exit_code.string(), {"42"}));
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 42) << rt->state(id).to_string();

  // A standard service without wasm.capabilities has the sockets capability;
  // TCP sockets also need wasm.allow_tcp.
  uint16_t port = testing::free_port();
  auto spec = service(echo.string());
  spec.env = {{"WASIP2_GLUE_TCPLISTEN", "127.0.0.1:" + std::to_string(port)}};
  spec.wasm = WasmConfig{};
  spec.wasm->allow_tcp = true;
  InstanceId server{"echo", 1};
  rt->create(server, spec);
  rt->start(server);
  std::string echoed;
  // The runtime's default tier compiles the component's core modules to
  // native code first: with a cold cache on a loaded machine that takes a while.
  int fd = testing::connect_loopback_when_listening(port, std::chrono::seconds(90));
  ASSERT_GE(fd, 0) << "the component never listened on " << port << ": " << rt->state(server).to_string();
  ASSERT_EQ(::write(fd, "via the runtime", 15), 15);
  ::shutdown(fd, SHUT_WR);
  char buf[64];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) echoed.append(buf, size_t(n));
  ::close(fd);
  EXPECT_EQ(rt->wait(server), 0) << rt->state(server).to_string();
  EXPECT_EQ(echoed, "via the runtime");
  EXPECT_EQ(messages(server), std::vector<std::string>{"echoed"});

  // With the capability off, wasi:sockets answers access-denied.
  spec.wasm->capabilities = WasmCapabilities{};  // sockets: false
  InstanceId denied{"echo", 2};
  rt->create(denied, spec);
  rt->start(denied);
  EXPECT_EQ(rt->wait(denied), 1);
  EXPECT_EQ(messages(denied), std::vector<std::string>{"accept failed: errno 2"});

  // So it does with the capability on but allow_tcp off (zlayer's default).
  spec.wasm = WasmConfig{};
  InstanceId no_tcp{"echo", 3};
  rt->create(no_tcp, spec);
  rt->start(no_tcp);
  EXPECT_EQ(rt->wait(no_tcp), 1);
  EXPECT_EQ(messages(no_tcp), std::vector<std::string>{"accept failed: errno 2"});
}

TEST_F(Lifecycle, EnvAndArgsReachTheGuest) {  // seed: test_env_vars_available_in_context, test_args_available_in_context
  auto spec = service(fixture("rt_env_args"), {"arg1", "arg2", "--flag"});
  spec.env = {{"MY_VAR", "my_value"}, {"ANOTHER_VAR", "another_value"}};
  rt->create(id, spec);
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 0);
  auto lines = messages(id);
  auto has = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) != lines.end(); };
  EXPECT_TRUE(has("arg[0]=" + fixture("rt_env_args")));
  EXPECT_TRUE(has("arg[1]=arg1"));
  EXPECT_TRUE(has("arg[3]=--flag"));
  EXPECT_TRUE(has("env MY_VAR=my_value"));
  EXPECT_TRUE(has("env ANOTHER_VAR=another_value"));
  EXPECT_TRUE(has("env PATH=/usr/local/bin:/usr/bin:/bin"));
}

TEST_F(Lifecycle, StopInterruptsAnInfiniteLoop) {
  rt->create(id, service(fixture("loop_forever")));
  rt->start(id);
  rt->follow_logs(id, {}, [](const LogEntry& e) { return e.message != "looping"; });  // it is inside the loop now
  auto t0 = std::chrono::steady_clock::now();
  rt->stop(id, std::chrono::seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(rt->state(id), InstanceState::exited(143));
  auto o = rt->wait_outcome(id);
  EXPECT_EQ(o.exit_code, 143);
  EXPECT_EQ(o.reason, WaitReason::Signal);
  EXPECT_EQ(o.signal, "SIGTERM");
  rt->stop(id, std::chrono::seconds(1));  // idempotent
  rt->kill(id);
  EXPECT_EQ(rt->state(id), InstanceState::exited(143));
}

TEST_F(Lifecycle, KillEndsItNowWith137) {
  rt->create(id, service(fixture("loop_forever")));
  rt->start(id);
  rt->kill(id);  // default SIGKILL
  auto o = rt->wait_outcome(id);
  EXPECT_EQ(o.exit_code, 137);
  EXPECT_EQ(o.reason, WaitReason::Signal);
  EXPECT_EQ(o.signal, "SIGKILL");
  EXPECT_EQ(rt->state(id), InstanceState::exited(137));
}

TEST_F(Lifecycle, KillWithOtherSignalsAndBogusSignal) {
  rt->create(id, service(fixture("loop_forever")));
  rt->start(id);
  try {
    rt->kill(id, "SIGFOO");
    FAIL() << "SIGFOO accepted";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(e.kind(), RuntimeError::Kind::InvalidSpec);
  }
  EXPECT_EQ(rt->state(id).kind, InstanceState::Kind::Running);
  rt->kill(id, "int");
  EXPECT_EQ(rt->wait(id), 130);
  EXPECT_EQ(rt->wait_outcome(id).signal, "SIGINT");
}

TEST_F(Lifecycle, StopInterruptsABlockingSleep) {
  rt->create(id, service(fixture("rt_sleep")));
  rt->start(id);
  rt->follow_logs(id, {}, [](const LogEntry& e) { return e.message != "sleeping"; });
  rt->stop(id, std::chrono::seconds(5));
  EXPECT_EQ(rt->wait(id), 143);
}

TEST_F(Lifecycle, StopRightAfterStart) {  // seed: test_stop_container_during_execution
  rt->create(id, service(fixture("exit_code")));
  rt->start(id);
  rt->stop(id, std::chrono::seconds(1));
  EXPECT_TRUE(rt->state(id).finished()) << rt->state(id).to_string();
}

TEST_F(Lifecycle, StopAndKillOfPendingInstanceAreNoOps) {
  rt->create(id, service(fixture("exit_code")));
  rt->stop(id, std::chrono::seconds(1));
  rt->kill(id);
  EXPECT_EQ(rt->state(id), InstanceState::pending());
}

TEST_F(Lifecycle, RemoveRunningNeedsForce) {  // seed: test_remove_running_instance
  rt->create(id, service(fixture("loop_forever")));
  rt->start(id);
  try {
    rt->remove(id);
    FAIL() << "removed a running instance without force";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(e.kind(), RuntimeError::Kind::Conflict);
    EXPECT_NE(std::string(e.what()).find("svc-rep-1"), std::string::npos);
  }
  rt->remove(id, true);
  EXPECT_THROW(rt->state(id), RuntimeError);
}

// A running instance is waited for until it ends (a created one is answered
// at once: WaitOnACreatedInstanceAnswersAtOnce).
TEST_F(Lifecycle, WaitBlocksUntilARunningInstanceEnds) {
  rt->create(id, service(fixture("loop_forever")));
  rt->start(id);
  std::optional<int> code;
  std::thread waiter([&] { code = rt->wait(id); });
  EXPECT_FALSE(rt->wait_outcome_for(id, std::chrono::milliseconds(50)));
  rt->kill(id);
  waiter.join();
  EXPECT_EQ(code, 137);
}

TEST_F(Lifecycle, StartAgainAfterExit) {
  rt->create(id, service(fixture("exit_code"), {"4"}));
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 4);
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 4);
}

TEST_F(Lifecycle, LogsKeepInterleavingOfStdoutAndStderr) {
  rt->create(id, service(fixture("rt_alternate_output"), {"25"}));
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 0);
  auto entries = rt->logs(id);
  ASSERT_EQ(entries.size(), 51u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(entries[2 * i].message, "out " + std::to_string(i));
    EXPECT_EQ(entries[2 * i].stream, LogStream::Stdout);
    EXPECT_EQ(entries[2 * i + 1].message, "err " + std::to_string(i));
    EXPECT_EQ(entries[2 * i + 1].stream, LogStream::Stderr);
  }
  EXPECT_EQ(entries.back().message, "partial line without newline");  // flushed at exit
  auto tail = rt->logs(id, {3, std::nullopt});
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].message, "out 24");
}

TEST_F(Lifecycle, FollowingACreatedInstanceWaitsForItsRun) {
  rt->create(id, service(fixture("rt_alternate_output"), {"2"}));
  std::vector<std::string> seen;
  std::thread follower([&] { rt->follow_logs(id, {}, [&](const LogEntry& e) { seen.push_back(e.message); return true; }); });
  rt->start(id);
  follower.join();  // ends with the run
  EXPECT_EQ(seen, (std::vector<std::string>{"out 0", "err 0", "out 1", "err 1", "partial line without newline"}));
}

TEST_F(Lifecycle, LogsBeforeStartAreEmpty) {  // seed: test_get_logs_before_start, test_get_log_lines
  rt->create(id, service(fixture("exit_code")));
  EXPECT_TRUE(rt->logs(id, {100, std::nullopt}).empty());
}

TEST_F(Lifecycle, StatsAreReal) {  // seed: test_wasm_stats_* (which returned zeros)
  auto spec = service(fixture("loop_forever"));
  spec.wasm = WasmConfig{};
  spec.wasm->max_memory = "32Mi";
  spec.wasm->max_fuel = 1'000'000'000'000'000;  // never reached; fuel is counted where a limit is set
  rt->create(id, spec);
  auto before = rt->stats(id);
  EXPECT_EQ(before.cpu_usage_usec, 0u);
  EXPECT_EQ(before.memory_limit, 32u << 20);
  rt->start(id);
  rt->follow_logs(id, {}, [](const LogEntry& e) { return e.message != "looping"; });
  auto first = rt->stats(id);
  EXPECT_GT(first.cpu_usage_usec, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // it keeps burning CPU (shared with other tests, maybe)
  auto during = rt->stats(id);
  EXPECT_GT(during.cpu_usage_usec, first.cpu_usage_usec);
  EXPECT_GT(during.memory_bytes, 0u);
  EXPECT_GT(during.fuel_consumed, 0u);
  rt->kill(id);
  auto after = rt->stats(id);
  EXPECT_GE(after.cpu_usage_usec, during.cpu_usage_usec);
  EXPECT_GT(after.memory_bytes, 0u);
}

// stats counts the CPU time and the fuel of exec'd commands too (as a
// container's stats count its exec'd processes), reports as much fuel as
// the limit allowed each (max_fuel is a budget per run and per exec), and
// gives the limit a wasm32 memory can really have.
TEST_F(Lifecycle, StatsCountExecsAndStayWithinTheLimits) {
  auto spec = service(fixture("loop_forever"));
  spec.wasm = WasmConfig{};
  spec.wasm->max_memory = "8Gi";
  spec.wasm->max_fuel = 1'000'000;
  rt->create(id, spec);
  EXPECT_EQ(rt->stats(id).memory_limit, 4ull << 30);
  rt->start(id);
  rt->wait(id);  // out of fuel
  auto run = rt->stats(id);
  EXPECT_EQ(run.fuel_consumed, 1'000'000u);
  auto r = rt->exec(id, {"again"});  // runs out of fuel the same way, on this thread
  EXPECT_NE(r.exit_code, 0) << r.err;
  auto after = rt->stats(id);
  EXPECT_GT(after.cpu_usage_usec, run.cpu_usage_usec) << "the exec's CPU time is not counted";
  EXPECT_EQ(after.fuel_consumed, 2'000'000u) << "the exec's fuel is not counted";
}

// While a command exec'd in the instance runs, its linear memory counts in
// the instance's memory_bytes (as an exec'd process counts in a container's
// cgroup); once it ended, only the instance's own is left.
TEST_F(Lifecycle, StatsCountTheMemoryOfARunningExec) {
  rt->create(id, service(fixture("loop_forever")));
  rt->start(id);
  rt->follow_logs(id, {}, [](const LogEntry& e) { return e.message != "looping"; });
  const uint64_t own = rt->stats(id).memory_bytes;
  ASSERT_GT(own, 0u);
  std::thread exec([&] { rt->exec(id, {"again"}); });  // loops until the kill below interrupts it
  uint64_t with_exec = own;
  for (int i = 0; i < 1000 && with_exec != 2 * own; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    with_exec = rt->stats(id).memory_bytes;
  }
  rt->kill(id);
  exec.join();
  EXPECT_EQ(with_exec, 2 * own) << "the exec is the same module, so it has the same memory";
  EXPECT_EQ(rt->stats(id).memory_bytes, own);
}

TEST_F(Lifecycle, ExecRunsAFreshInstanceInTheSameSandbox) {  // seed: test_exec_not_supported (now supported)
  auto spec = service(fixture("rt_env_args"));
  spec.env = {{"SHARED", "yes"}};
  rt->create(id, spec);
  rt->start(id);
  rt->wait(id);
  auto r = rt->exec(id, {"x-cmd", "two"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_NE(r.out.find("arg[1]=x-cmd"), std::string::npos);
  EXPECT_NE(r.out.find("arg[2]=two"), std::string::npos);
  EXPECT_NE(r.out.find("env SHARED=yes"), std::string::npos);
  std::vector<ExecEvent> events;
  rt->exec_stream(id, {"plain"}, [&](const ExecEvent& e) { events.push_back(e); });
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, ExecEvent::Kind::Exit);
  EXPECT_EQ(events.back().exit_code, 0);
  EXPECT_THROW(rt->exec(id, {}), RuntimeError);
}

TEST_F(Lifecycle, PidIsNoneAndIpIsLoopback) {
  rt->create(id, service(fixture("exit_code")));
  EXPECT_EQ(rt->pid(id), std::nullopt);
  EXPECT_EQ(rt->ip(id), "127.0.0.1");
}

TEST_F(Lifecycle, RestartPolicyOnFailureRestartsUpToTheLimit) {
  auto spec = restarting("1", RestartPolicy::Kind::OnFailure, std::chrono::milliseconds(10));
  spec.restart_policy.max_attempts = 2;
  rt->create(id, spec);
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 1);
  EXPECT_EQ(rt->inspect(id).restart_count, 2u);
  EXPECT_EQ(rt->stats(id).restart_count, 2u);
  int restarts_noted = 0;
  for (const auto& e : rt->logs(id)) restarts_noted += e.message.find("restarting in") != std::string::npos;
  EXPECT_EQ(restarts_noted, 2);
}

// As `docker start` (moby resets RestartCount on every start a user asks
// for): a start counts restarts afresh, so on_failure:2 has 2 attempts again.
TEST_F(Lifecycle, AStartResetsTheRestartCount) {
  auto spec = restarting("1", RestartPolicy::Kind::OnFailure, std::chrono::milliseconds(10));
  spec.restart_policy.max_attempts = 2;
  rt->create(id, spec);
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 1);
  ASSERT_EQ(rt->inspect(id).restart_count, 2u);
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 1);
  EXPECT_EQ(rt->inspect(id).restart_count, 2u);
  int restarts_noted = 0;
  for (const auto& e : rt->logs(id)) restarts_noted += e.message.find("restarting in") != std::string::npos;
  EXPECT_EQ(restarts_noted, 4);  // without the reset the second start had no attempt left: 2
}

TEST_F(Lifecycle, RestartPolicyOnFailureLeavesSuccessAlone) {
  rt->create(id, restarting("0", RestartPolicy::Kind::OnFailure, std::chrono::milliseconds(10)));
  rt->start(id);
  EXPECT_EQ(rt->wait(id), 0);
  EXPECT_EQ(rt->inspect(id).restart_count, 0u);
}

TEST_F(Lifecycle, ZeroRestartDelayStillBacksOff) {
  // delay 0 doubled stays 0: without a floor the guest restarted ~1000 times a second.
  rt->create(id, restarting("1", RestartPolicy::Kind::Always, std::chrono::nanoseconds(0)));
  rt->start(id);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // 100ms, 200ms, 400ms: at most 3 restarts in the first second (a run takes time too).
  EXPECT_LE(rt->inspect(id).restart_count, 3u);
  rt->kill(id, std::nullopt);
}

TEST(RestartBackoff, FloorThenDoublingThenCap) {
  RestartPolicy p;
  p.delay = std::chrono::nanoseconds(0);
  EXPECT_EQ(restart_backoff(p, 0), std::chrono::milliseconds(100));
  EXPECT_EQ(restart_backoff(p, 1), std::chrono::milliseconds(200));
  // docker's restart manager: 100ms doubled up to 51.2s, then its cap, 1 minute.
  EXPECT_EQ(restart_backoff(p, 9), std::chrono::milliseconds(51'200));
  EXPECT_EQ(restart_backoff(p, 10), std::chrono::minutes(1));
  EXPECT_EQ(restart_backoff(p, 40), std::chrono::minutes(1));
  p.delay = std::chrono::seconds(1);
  EXPECT_EQ(restart_backoff(p, 0), std::chrono::seconds(1));
  EXPECT_EQ(restart_backoff(p, 2), std::chrono::seconds(4));
  EXPECT_EQ(restart_backoff(p, 5), std::chrono::seconds(32));
  EXPECT_EQ(restart_backoff(p, 6), std::chrono::minutes(1));
  p.delay = std::chrono::hours(1);
  EXPECT_EQ(restart_backoff(p, 0), std::chrono::minutes(1));
}

// As docker's restart manager: the back-off doubles while runs are short,
// and a run of kHealthyRunResetsBackoff or more starts it again from the
// first delay (before, one crash after weeks of service waited 30s).
TEST(RestartBackoff, AHealthyRunStartsItAgain) {
  using std::chrono::milliseconds;
  RestartPolicy p;
  p.delay = std::chrono::nanoseconds(0);
  RestartBackoff backoff;
  const auto quick = milliseconds(50);
  EXPECT_EQ(backoff.next(p, quick), milliseconds(100));
  EXPECT_EQ(backoff.next(p, quick), milliseconds(200));
  EXPECT_EQ(backoff.next(p, quick), milliseconds(400));
  EXPECT_EQ(backoff.next(p, kHealthyRunResetsBackoff - milliseconds(1)), milliseconds(800));
  EXPECT_EQ(backoff.next(p, kHealthyRunResetsBackoff), milliseconds(100));
  EXPECT_EQ(backoff.next(p, quick), milliseconds(200));
  EXPECT_EQ(backoff.next(p, std::chrono::hours(24)), milliseconds(100));
  for (int i = 0; i < 40; ++i) backoff.next(p, quick);
  EXPECT_EQ(backoff.next(p, quick), kMaxRestartBackoff);
  EXPECT_EQ(backoff.next(p, kHealthyRunResetsBackoff), milliseconds(100));
}

TEST_F(Lifecycle, StopCancelsAPendingRestart) {
  rt->create(id, restarting("1", RestartPolicy::Kind::Always, std::chrono::seconds(30)));
  rt->start(id);
  rt->follow_logs(id, {}, [](const LogEntry& e) { return e.message.find("restarting in") == std::string::npos; });
  auto waiting = rt->inspect(id);
  EXPECT_TRUE(waiting.restarting);  // the back-off is visible
  EXPECT_EQ(waiting.state, InstanceState::exited(1));
  // rm without -f says it is waiting to restart, not merely "exited".
  try {
    rt->remove(id, false);
    ADD_FAILURE() << "an instance waiting to restart was removed without force";
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("is waiting to restart (its last run exited); stop it first"), std::string::npos)
        << e.what();
  }
  rt->stop(id, std::chrono::seconds(1));
  EXPECT_EQ(rt->wait(id), 1);
  EXPECT_EQ(rt->inspect(id).restart_count, 0u);
  EXPECT_FALSE(rt->inspect(id).restarting);
}

TEST_F(Lifecycle, MemoryLimitRefusalIsOomKilled) {
  auto spec = service(fixture("rt_memory_hog"));
  spec.wasm = WasmConfig{};
  spec.wasm->max_memory = "8Mi";
  rt->create(id, spec);
  rt->start(id);
  auto o = rt->wait_outcome(id);
  EXPECT_EQ(o.reason, WaitReason::OomKilled);
  EXPECT_EQ(o.exit_code, 3);  // the guest's own code after malloc failed
  EXPECT_LE(rt->stats(id).memory_bytes, 8u << 20);
  InstanceId trapper{"svc", 2};
  spec.command.args = std::vector<std::string>{"trap"};
  rt->create(trapper, spec);
  rt->start(trapper);
  o = rt->wait_outcome(trapper);
  EXPECT_EQ(o.reason, WaitReason::OomKilled);
  EXPECT_EQ(o.exit_code, 137);
  auto st = rt->state(trapper);
  EXPECT_NE(st.reason.find("out of memory"), std::string::npos) << st.reason;
  EXPECT_NE(st.reason.find("8Mi"), std::string::npos) << st.reason;
}

TEST_F(Lifecycle, WithoutALimitTheSameGuestGetsItsMemory) {
  rt->create(id, service(fixture("rt_memory_hog")));
  rt->start(id);
  auto o = rt->wait_outcome(id);
  EXPECT_EQ(o.reason, WaitReason::Exited);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_GE(rt->stats(id).memory_bytes, 64u << 20);
}

TEST_F(Lifecycle, FuelExhaustionFailsWithAReason) {
  auto spec = service(fixture("loop_forever"));
  spec.wasm = WasmConfig{};
  spec.wasm->max_fuel = 100000;
  rt->create(id, spec);
  rt->start(id);
  auto o = rt->wait_outcome(id);
  EXPECT_EQ(o.reason, WaitReason::RuntimeError);
  auto st = rt->state(id);
  ASSERT_EQ(st.kind, InstanceState::Kind::Failed);
  EXPECT_NE(st.reason.find("fuel"), std::string::npos) << st.reason;
  EXPECT_NE(st.reason.find("svc-rep-1"), std::string::npos) << st.reason;
}

TEST_F(Lifecycle, TcpHealthCheckFollowsTheListener) {
  auto spec = service(fixture("loop_forever"));
  spec.endpoints.push_back({"tcp", "tcp", 0});
  spec.endpoints[0].port = testing::free_port();
  spec.health.type = HealthSpec::Type::Tcp;
  spec.health.start_grace = std::chrono::milliseconds(0);
  spec.health.interval = std::chrono::milliseconds(50);
  spec.health.retries = 1;
  rt->create(id, spec);
  EXPECT_EQ(rt->inspect(id).health.status, "none");
  rt->start(id);
  // The monitor reports through inspect; wait for its verdict by following the guest's first line.
  rt->follow_logs(id, {}, [](const LogEntry& e) { return e.message != "looping"; });
  HealthDetail h;
  for (int i = 0; i < 100 && (h = rt->inspect(id).health).status != "healthy"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(h.status, "healthy") << h.last_output.value_or("");
  rt->kill(id);
}

TEST_F(Lifecycle, HttpHealthCheckAgainstTheGuestsServer) {
  auto spec = service(fixture("rt_http_server"));
  uint16_t port = testing::free_port();
  spec.endpoints.push_back({"http", "http", port});
  spec.health.type = HealthSpec::Type::Http;
  spec.health.url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  spec.health.start_grace = std::chrono::milliseconds(0);
  spec.health.interval = std::chrono::milliseconds(50);
  spec.health.retries = 1;
  rt->create(id, spec);
  rt->start(id);
  rt->follow_logs(id, {}, [](const LogEntry& e) { return e.message != "serving on fd 3"; });
  EXPECT_NE(testing::http_get(port, "/").find("200 OK"), std::string::npos);
  HealthDetail h;
  for (int i = 0; i < 100 && (h = rt->inspect(id).health).status != "healthy"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(h.status, "healthy") << h.last_output.value_or("");
  rt->stop(id, std::chrono::seconds(5));  // interrupts the blocking accept
  EXPECT_EQ(rt->wait(id), 143);
  EXPECT_EQ(testing::http_get(port, "/"), "");  // the listener went with the instance
}

}  // namespace
}  // namespace wasmlet::runtime
