// A real `wasmlet serve` on a temp socket and data dir, driven by the CLI verbs.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "runtime_support.h"

namespace wasmlet::testing {
namespace {

using nlohmann::json;

std::string spec_yaml() {
  return "version: v1\n"
         "deployment: demo\n"
         "services:\n"
         "  job:\n"
         "    image:\n"
         "      name: " + fixture("exit_code") + "\n"
         "      pull_policy: if_not_present\n"
         "    command:\n"
         "      args: [\"3\"]\n"
         "    scale:\n"
         "      replicas: 2\n"
         "  loop:\n"
         "    image: " + fixture("loop_forever") + "\n"
         "    wasm: {max_fuel: 1000000000000000}\n"  // never reached; fuel is counted where a limit is set
         "  chatty:\n"
         "    image: " + fixture("rt_alternate_output") + "\n"
         "    command: {args: [\"10\"]}\n"
         "  keeper:\n"
         "    image: " + fixture("loop_forever") + "\n"
         "    restart_policy: {kind: always, delay: 10ms}\n";
}

class DaemonTest : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path data = dir.path() / "data";
  std::unique_ptr<Daemon> d = std::make_unique<Daemon>(data);

  fs::path write_spec(const std::string& text, const std::string& name = "spec.yaml") {
    write_text(dir.path() / name, text);
    return dir.path() / name;
  }
  json ps() {
    auto r = d->cli({"ps", "-a", "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  // Until the instance's log has `text` (its guest got that far).
  void await_log(const std::string& id, const std::string& text) {
    for (int i = 0; i < 1000 && d->cli({"logs", id}).out.find(text) == std::string::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  json find(const json& list, const std::string& id) {
    for (const auto& i : list)
      if (i["id"] == id) return i;
    return nullptr;
  }
};

TEST_F(DaemonTest, FullLifecycleFromAYamlSpec) {
  auto spec = write_spec(spec_yaml());
  auto up = d->cli({"up", "-f", spec.string()});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  for (const char* id : {"job-rep-0", "job-rep-1", "loop-rep-0", "chatty-rep-0", "keeper-rep-0"})
    EXPECT_NE(up.out.find(id), std::string::npos) << up.out;

  auto w = d->cli({"wait", "job-rep-0", "job-rep-1"});
  EXPECT_EQ(w.exit_code, 3) << w.err;  // wait exits with the instance's code
  EXPECT_EQ(w.out, "3\n3\n");

  auto list = ps();
  EXPECT_EQ(find(list, "job-rep-1")["state"]["text"], "exited(3)");
  EXPECT_EQ(find(list, "loop-rep-0")["state"]["status"], "running");
  auto running = json::parse(d->cli({"ps", "--format", "json"}).out);
  EXPECT_TRUE(find(running, "job-rep-0").is_null());  // ps without -a: running ones

  // Its guest runs before it is stopped (on a cold cache its code may still be compiling).
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       d->cli({"logs", "loop-rep-0"}).out.find("looping") == std::string::npos && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto stop = d->cli({"stop", "-t", "5", "loop-rep-0"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  auto wj = json::parse(d->cli({"wait", "loop-rep-0", "--format", "json"}).out);
  EXPECT_EQ(wj["exit_code"], 143);
  EXPECT_EQ(wj["reason"], "signal");
  EXPECT_EQ(wj["signal"], "SIGTERM");
  EXPECT_TRUE(wj["finished_at"].is_string());

  auto inspect = json::parse(d->cli({"inspect", "loop-rep-0"}).out);
  EXPECT_EQ(inspect[0]["state"]["exit_code"], 143);
  EXPECT_EQ(inspect[0]["outcome"]["signal"], "SIGTERM");
  EXPECT_TRUE(inspect[0]["pid"].is_null());

  auto stats = json::parse(d->cli({"stats", "loop-rep-0", "--format", "json"}).out);
  EXPECT_GT(stats["cpu_usage_usec"].get<uint64_t>(), 0u);
  EXPECT_GT(stats["fuel_consumed"].get<uint64_t>(), 0u);

  auto rm_running = d->cli({"rm", "keeper-rep-0"});
  EXPECT_NE(rm_running.exit_code, 0);
  EXPECT_NE(rm_running.err.find("keeper-rep-0"), std::string::npos) << rm_running.err;
  for (const char* id : {"job-rep-0", "job-rep-1", "loop-rep-0", "chatty-rep-0"}) EXPECT_EQ(d->cli({"rm", id}).exit_code, 0) << id;
  EXPECT_EQ(d->cli({"rm", "-f", "keeper-rep-0"}).exit_code, 0);
  EXPECT_TRUE(ps().empty());
}

TEST_F(DaemonTest, CreateThenStartAndKill) {
  auto spec = write_spec(spec_yaml());
  auto created = d->cli({"create", "-f", spec.string(), "--service", "loop"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "loop-rep-0\n");
  EXPECT_EQ(find(ps(), "loop-rep-0")["state"]["status"], "pending");
  // As `docker wait` on a created container: answered at once, 0.
  auto not_started = d->cli({"wait", "loop-rep-0"}, std::chrono::seconds(10));
  EXPECT_EQ(not_started.exit_code, 0) << not_started.err;
  EXPECT_EQ(not_started.out, "0\n");
  EXPECT_EQ(d->cli({"start", "loop-rep-0"}).exit_code, 0);
  auto bogus = d->cli({"kill", "-s", "SIGFOO", "loop-rep-0"});
  EXPECT_NE(bogus.exit_code, 0);
  EXPECT_NE(bogus.err.find("unsupported signal 'SIGFOO'"), std::string::npos) << bogus.err;
  EXPECT_EQ(d->cli({"kill", "loop-rep-0"}).exit_code, 0);
  auto w = d->cli({"wait", "loop-rep-0"});
  EXPECT_EQ(w.exit_code, 137);
  EXPECT_EQ(w.out, "137\n");
}

TEST_F(DaemonTest, LogsKeepInterleavingAndFollow) {
  auto spec = write_spec(spec_yaml());
  ASSERT_EQ(d->cli({"up", "-f", spec.string(), "--service", "chatty"}).exit_code, 0);
  auto follow = d->cli({"logs", "-f", "chatty-rep-0", "--format", "json"});  // ends when it exits
  ASSERT_EQ(follow.exit_code, 0) << follow.err;
  std::vector<json> lines;
  std::istringstream in(follow.out);
  for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
  ASSERT_EQ(lines.size(), 21u) << follow.out;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(lines[2 * i]["message"], "out " + std::to_string(i));
    EXPECT_EQ(lines[2 * i]["stream"], "stdout");
    EXPECT_EQ(lines[2 * i + 1]["message"], "err " + std::to_string(i));
    EXPECT_EQ(lines[2 * i + 1]["stream"], "stderr");
  }
  auto tail = d->cli({"logs", "--tail", "2", "chatty-rep-0"});
  EXPECT_EQ(tail.out, "partial line without newline\n");
  EXPECT_EQ(tail.err, "err 9\n");
  auto all = d->cli({"logs", "--tail", "all", "chatty-rep-0"});  // docker's spelling of the default
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.err, d->cli({"logs", "chatty-rep-0"}).err);
  auto negative = d->cli({"logs", "--tail", "-2", "chatty-rep-0"});
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_NE(negative.err.find("invalid --tail '-2': a number of lines (0 or more) or `all`"), std::string::npos) << negative.err;
  auto since = d->cli({"logs", "--since", "2200-01-01T00:00:00Z", "chatty-rep-0"});
  EXPECT_EQ(since.out + since.err, "");
}

TEST_F(DaemonTest, RecordsAndLogsSurviveKill9) {
  auto spec = write_spec(spec_yaml());
  ASSERT_EQ(d->cli({"up", "-f", spec.string()}).exit_code, 0);
  ASSERT_EQ(d->cli({"wait", "job-rep-0", "chatty-rep-0"}).exit_code, 0);
  d->cli({"logs", "-f", "loop-rep-0"}, std::chrono::milliseconds(300));  // "looping" is logged by now
  auto before = d->cli({"logs", "chatty-rep-0", "--format", "json"}).out;
  d->kill9();
  auto down = d->cli({"logs", "loop-rep-0"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("not running"), std::string::npos) << down.err;
  d->start();
  auto list = ps();
  EXPECT_EQ(list.size(), 5u);
  EXPECT_EQ(find(list, "job-rep-0")["state"]["text"], "exited(3)");
  EXPECT_EQ(find(list, "loop-rep-0")["state"]["text"], "failed(agent restarted)");
  EXPECT_EQ(find(list, "loop-rep-0")["outcome"]["reason"], "runtime_error");
  auto keeper = find(list, "keeper-rep-0");
  EXPECT_EQ(keeper["state"]["status"], "running") << keeper.dump();  // restart_policy: always
  EXPECT_GE(keeper["restart_count"].get<int>(), 1);
  EXPECT_EQ(d->cli({"logs", "chatty-rep-0", "--format", "json"}).out, before);
  auto loop_logs = d->cli({"logs", "loop-rep-0"});
  EXPECT_NE(loop_logs.out.find("looping"), std::string::npos);
  EXPECT_NE(loop_logs.err.find("agent restarted"), std::string::npos);
  EXPECT_EQ(d->cli({"wait", "job-rep-1"}).exit_code, 3);
}

// kill -9 while `always` waits out its back-off: the next daemon restarts it
// (the record said exited(1), not running).
TEST_F(DaemonTest, APendingRestartSurvivesKill9) {
  write_spec("version: v1\ndeployment: b\nservices:\n  flaky:\n    image: " + fixture("exit_code") +
             "\n    command: {args: [\"1\"]}\n    restart_policy: {kind: always, delay: 30s}\n");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  json flaky;
  for (int i = 0; i < 500 && !(flaky = find(ps(), "flaky-rep-0"))["restarting"].get<bool>(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(flaky["restarting"].get<bool>()) << flaky.dump();
  d->kill9();
  d->start();
  flaky = find(ps(), "flaky-rep-0");
  EXPECT_EQ(flaky["restart_count"], 1) << flaky.dump();
  EXPECT_NE(d->cli({"logs", "flaky-rep-0"}).err.find("was waiting to restart; restarting it (restart 1)"), std::string::npos);
}

TEST_F(DaemonTest, GracefulStopAlsoReportsAgentRestart) {
  auto spec = write_spec(spec_yaml());
  ASSERT_EQ(d->cli({"up", "-f", spec.string(), "--service", "loop"}).exit_code, 0);
  int status = d->terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(fs::exists(data / "wasmlet.sock"));
  d->start();
  EXPECT_EQ(find(ps(), "loop-rep-0")["state"]["text"], "failed(agent restarted)");
}

// A wait cut short by the daemon's shutdown says so: the interrupt of a
// guest blocked in a WASI call is not the guest's own end (it read as a trap, 134).
TEST_F(DaemonTest, AWaitCutShortByTheShutdownSaysSo) {
  write_spec("version: v1\ndeployment: s\nservices:\n  nap:\n    image: " + fixture("rt_sleep") + "\n");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  await_log("nap-rep-0", "sleeping");
  ProcessResult waited;
  std::thread waiter([&] { waited = d->cli({"wait", "nap-rep-0"}); });
  // Time for the wait to reach the daemon (500 ms was too short on a busy
  // 2-core machine: the CLI then met a daemon already gone).
  std::this_thread::sleep_for(std::chrono::seconds(2));
  d->terminate();
  waiter.join();
  EXPECT_NE(waited.exit_code, 0);
  EXPECT_NE(waited.exit_code, 134) << waited.out << waited.err;
  EXPECT_EQ(waited.out, "");
  // The daemon's own answer, sent before it closes the connection (not the
  // client's fallback for a connection that ended before the answer).
  EXPECT_NE(waited.err.find("the runtime is shutting down; s.nap-rep-0 did not finish"), std::string::npos) << waited.err;
  EXPECT_EQ(waited.err.find("closed the connection"), std::string::npos) << waited.err;
  d->start();
  EXPECT_EQ(find(ps(), "nap-rep-0")["state"]["text"], "failed(agent restarted)");
}

// A follow cut short by the daemon's shutdown ends as a follow does: the
// daemon sends the end of its stream before it closes the connection.
TEST_F(DaemonTest, AFollowCutShortByTheShutdownEndsCleanly) {
  write_spec("version: v1\ndeployment: s\nservices:\n  nap:\n    image: " + fixture("rt_sleep") + "\n");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  await_log("nap-rep-0", "sleeping");
  ProcessResult followed;
  std::thread follower([&] { followed = d->cli({"logs", "-f", "nap-rep-0"}); });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // as above: the follow reaches the daemon
  d->terminate();
  follower.join();
  EXPECT_EQ(followed.exit_code, 0) << followed.err;
  EXPECT_EQ(followed.out, "sleeping\n");
  EXPECT_EQ(followed.err, "");
}

TEST_F(DaemonTest, ExecStreamsOutputAndExitCode) {
  write_spec("version: v1\ndeployment: e\nservices:\n  tool:\n    image: " + fixture("rt_env_args_wait") +
             "\n    env: {SHARED: yes}\n    command: {args: [wait]}\n");
  ASSERT_EQ(d->cli({"create", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  // As docker: no exec into an instance that is not running.
  auto refused = d->cli({"exec", "tool-rep-0", "--", "x-cmd"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("wasmlet: error: instance tool-rep-0 is not running"), std::string::npos) << refused.err;
  ASSERT_EQ(d->cli({"start", "tool-rep-0"}).exit_code, 0);
  auto r = d->cli({"exec", "tool-rep-0", "--", "x-cmd", "--flag"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.out.find("arg[1]=x-cmd"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arg[2]=--flag"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("env SHARED=yes"), std::string::npos) << r.out;
}

// A guest writes bytes: exec hands them over as they are, whether UTF-8 or
// not, and a character split between two writes arrives whole.
TEST_F(DaemonTest, ExecPassesOnBytesThatAreNotUtf8) {
  write_spec("version: v1\ndeployment: e\nservices:\n  tool:\n    image: " + fixture("rt_env_args_wait") +
             "\n    command: {args: [wait]}\n");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  auto r = d->cli({"exec", "tool-rep-0", "--", "bytes", "caf\\xc3", "\\xa9 \\xff\\x0a"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "caf\xc3\xa9 \xff\n");
  auto j = d->cli({"exec", "tool-rep-0", "--format", "json", "--", "bytes", "\\xff"});
  EXPECT_NE(j.out.find(R"({"stdout_base64":"/w=="})"), std::string::npos) << j.out;
}

// Reads a process's CPU time (user + system) from /proc, in clock ticks.
uint64_t cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return utime + stime;
}

// An exec whose client is gone ends: a guest that spins without a word must
// not go on burning the daemon's CPU unseen.
TEST_F(DaemonTest, AnExecEndsWhenItsClientGoesAway) {
  write_spec("version: v1\ndeployment: e\nservices:\n  tool:\n    image: " + fixture("rt_env_args_wait") +
             "\n    command: {args: [wait]}\n");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  const uint64_t before = cpu_ticks(d->pid());
  d->cli({"exec", "tool-rep-0", "--", "spin"}, std::chrono::milliseconds(1500));  // killed after 1.5 s
  EXPECT_GT(cpu_ticks(d->pid()) - before, 20u) << "the exec's guest should have spun while its client waited";
  // Within a few seconds the daemon is idle again (a spinning guest takes 100 ticks a second).
  bool idle = false;
  for (int tries = 0; tries < 20 && !idle; ++tries) {
    const uint64_t start = cpu_ticks(d->pid());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    idle = cpu_ticks(d->pid()) - start < 10;
  }
  EXPECT_TRUE(idle) << "the exec's guest still runs after its client went away";
}

size_t entries_of(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++n;
  return n;
}

// A wait or a follow whose client went away lets go of its daemon thread and
// connection within a few seconds, though the instance runs on without a word.
TEST_F(DaemonTest, AGoneWaitOrFollowClientIsLetGo) {
  write_spec("version: v1\ndeployment: q\nservices:\n  nap:\n    image: " + fixture("rt_sleep") + "\n");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  await_log("nap-rep-0", "sleeping");
  const std::string proc = "/proc/" + std::to_string(d->pid());
  auto settled = [&](size_t threads, size_t fds) {
    for (int i = 0; i < 50; ++i) {
      if (entries_of(proc + "/task") <= threads && entries_of(proc + "/fd") <= fds) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  const size_t threads = entries_of(proc + "/task"), fds = entries_of(proc + "/fd");
  // Clients killed after a second, each in the daemon by then.
  std::thread waiter([&] { d->cli({"wait", "nap-rep-0"}, std::chrono::milliseconds(1000)); });
  std::thread follower([&] { d->cli({"logs", "-f", "nap-rep-0"}, std::chrono::milliseconds(1000)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_GE(entries_of(proc + "/task"), threads + 2) << "the wait and the follow each have a thread";
  waiter.join();
  follower.join();
  EXPECT_TRUE(settled(threads, fds)) << "threads " << entries_of(proc + "/task") << " (was " << threads << "), fds "
                                     << entries_of(proc + "/fd") << " (was " << fds << ")";
  EXPECT_EQ(find(ps(), "nap-rep-0")["state"]["status"], "running");
}

// A guest printing 64 KiB lines without newlines: the daemon kept the last
// 4096 entries of each instance in memory (256 MiB, after its exit too); now
// only what an attached follower needs, at most 1 MiB. `logs` still reads
// every line on disk.
TEST_F(DaemonTest, LongLinesDoNotGrowTheDaemon) {
  write_spec("version: v1\ndeployment: q\nservices:\n  spam:\n    image: " + fixture("rt_long_lines") +
             "\n    command: {args: [\"1500\"]}\n");  // 96 MiB of output
  const std::string status = "/proc/" + std::to_string(d->pid()) + "/status";
  const long before = rss_kib(status);
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  auto w = d->cli({"wait", "spam-rep-0"}, std::chrono::seconds(120));
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const long after = rss_kib(status);
  EXPECT_LT(after - before, 48 * 1024) << "the daemon grew from " << before << " KiB to " << after << " KiB";
  const std::string line = std::string(64 * 1024, 'a') + "\n";
  auto tail = d->cli({"logs", "--tail", "3", "spam-rep-0"});
  EXPECT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_TRUE(tail.out == line + line + line) << tail.out.size() << " bytes";
  EXPECT_EQ(d->cli({"rm", "spam-rep-0"}).exit_code, 0);
}

TEST_F(DaemonTest, SpecErrorsNameFileLineAndField) {
  auto bad = write_spec("version: v1\ndeployment: d\nservices:\n  web:\n    image: x.wasm\n    wasm:\n      max_memory: lots\n", "bad.yaml");
  auto r = d->cli({"up", "-f", bad.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad.yaml:7:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("services.web.wasm.max_memory"), std::string::npos) << r.err;
  auto missing = d->cli({"inspect", "nope-rep-0"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nope-rep-0"), std::string::npos) << missing.err;
  auto malformed = d->cli({"stop", "not-an-id"});
  EXPECT_NE(malformed.err.find("SERVICE-rep-N"), std::string::npos) << malformed.err;
}

TEST_F(DaemonTest, RelativeImagePathsResolveAgainstTheSpecFile) {
  fs::copy_file(fixture("exit_code"), dir.path() / "local.wasm");
  write_spec("version: v1\ndeployment: r\nservices:\n  rel:\n    image: ./local.wasm\n    command: {args: [\"6\"]}\n");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  EXPECT_EQ(d->cli({"wait", "rel-rep-0"}).exit_code, 6);
}

TEST_F(DaemonTest, StorageRestartAndHealthFromTheSpec) {
  fs::create_directories(dir.path() / "host");
  write_text(dir.path() / "host/config.txt", "from host\n");
  uint16_t port = free_port();
  std::string rw = fixture("rt_write_volume");
  write_spec("version: v1\ndeployment: st\nservices:\n"
             "  writer:\n    image: " + rw + "\n    command: {args: [write, /data/v.txt, persisted]}\n"
             "    storage:\n      - {type: named, name: shared, target: /data}\n      - {type: tmpfs, target: /scratch}\n"
             "  reader:\n    image: " + rw + "\n    command: {args: [read, /data/v.txt]}\n"
             "    storage:\n      - {type: named, name: shared, target: /data, readonly: true}\n"
             "  rowriter:\n    image: " + rw + "\n    command: {args: [write, /cfg/config.txt, changed]}\n"
             "    storage:\n      - {type: bind, source: ./host, target: /cfg, readonly: true}\n"
             "  flaky:\n    image: " + fixture("exit_code") + "\n    command: {args: [\"1\"]}\n"
             "    restart_policy: {kind: on_failure, max_attempts: 2, delay: 10ms}\n"
             "  web:\n    image: " + fixture("loop_forever") + "\n"
             "    endpoints:\n      - {name: tcp, protocol: tcp, port: " + std::to_string(port) + "}\n"
             "    health:\n      start_grace: 0s\n      interval: 100ms\n      retries: 1\n      check: {type: tcp, port: 0}\n");
  auto spec = (dir.path() / "spec.yaml").string();
  ASSERT_EQ(d->cli({"up", "-f", spec, "--service", "writer", "--service", "flaky", "--service", "rowriter", "--service", "web"}).exit_code, 0);
  EXPECT_EQ(d->cli({"wait", "writer-rep-0"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(data / "tmpfs/st.writer-rep-0/0"));  // tmpfs dirs are named by the qualified id
  EXPECT_EQ(d->cli({"rm", "writer-rep-0"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(data / "tmpfs/st.writer-rep-0"));         // tmpfs went with it
  EXPECT_EQ(read_text(data / "volumes/shared/v.txt"), "persisted\n");  // the named volume stayed
  ASSERT_EQ(d->cli({"up", "-f", spec, "--service", "reader"}).exit_code, 0);
  EXPECT_EQ(d->cli({"wait", "reader-rep-0"}).exit_code, 0);
  EXPECT_EQ(d->cli({"logs", "reader-rep-0"}).out, "persisted\n");
  EXPECT_EQ(d->cli({"wait", "rowriter-rep-0"}).exit_code, 2);       // read-only: the write is refused
  EXPECT_EQ(read_text(dir.path() / "host/config.txt"), "from host\n");
  EXPECT_EQ(d->cli({"wait", "flaky-rep-0"}).exit_code, 1);
  EXPECT_EQ(find(ps(), "flaky-rep-0")["restart_count"], 2);
  json web;
  for (int i = 0; i < 100 && (web = find(ps(), "web-rep-0"))["health"]["status"] != "healthy"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(web["health"]["status"], "healthy") << web.dump();
  EXPECT_EQ(d->cli({"kill", "web-rep-0"}).exit_code, 0);
}

// A connection to the daemon's socket outside the CLI, for clients that
// misbehave; -1 (errno set) if it cannot be made.
int connect_raw(const std::filesystem::path& socket) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

// Followers that read slower than the guest writes fall behind what memory
// keeps and read the rest from the files: each fall read every file at once
// (up to 40 MiB at the defaults, and as much again decoded), so each slow
// follower held another copy of the whole log. Now a chunk at a time.
TEST_F(DaemonTest, SlowFollowersDoNotGrowTheDaemon) {
  write_spec("version: v1\ndeployment: q\nservices:\n  spam:\n    image: " + fixture("rt_long_lines") +
             "\n    command: {args: [\"1500\"]}\n");  // 96 MiB of output, the files keep the last 40
  const std::string status = "/proc/" + std::to_string(d->pid()) + "/status";
  const long before = status_kib(status, "VmHWM:");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  std::atomic<bool> done{false};
  std::vector<int> fds;
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    const int fd = connect_raw(data / "wasmlet.sock");
    ASSERT_GE(fd, 0) << std::strerror(errno);
    fds.push_back(fd);
    const std::string req = "GET /v1/instances/spam-rep-0/logs?follow=true HTTP/1.1\r\nHost: wasmlet\r\n\r\n";
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    readers.emplace_back([fd, &done] {  // at most 16 KiB each 5 ms, about 3 MiB/s
      char buf[16 * 1024];
      while (!done && ::recv(fd, buf, sizeof buf, 0) > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
  }
  auto w = d->cli({"wait", "spam-rep-0"}, std::chrono::seconds(120));
  const long after = status_kib(status, "VmHWM:");
  done = true;
  for (int fd : fds) ::shutdown(fd, SHUT_RDWR);
  for (auto& t : readers) t.join();
  for (int fd : fds) ::close(fd);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_LT(after - before, 48 * 1024) << "the daemon's peak grew from " << before << " KiB to " << after << " KiB";
}

// `logs` without -f read every file whole, decoded all of it, then built its
// whole answer: a daemon holding a 24 MiB log grew by about 90 MB for one
// `logs`, six at once by 150 MB. Now the files are read and the answer sent a
// chunk at a time, `--tail` starting from the end.
TEST_F(DaemonTest, ReadingALargeLogDoesNotGrowTheDaemon) {
  constexpr int kPairs = 100000;  // 200k lines on stdout and stderr, about 14 MiB of log
  write_spec("version: v1\ndeployment: q\nservices:\n  talk:\n    image: " + fixture("rt_alternate_output") +
             "\n    command: {args: [\"" + std::to_string(kPairs) + "\"]}\n");
  ASSERT_EQ(d->cli({"up", "-f", (dir.path() / "spec.yaml").string()}).exit_code, 0);
  auto w = d->cli({"wait", "talk-rep-0"}, std::chrono::seconds(120));
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const std::string status = "/proc/" + std::to_string(d->pid()) + "/status";
  const long before = status_kib(status, "VmHWM:");
  std::vector<ProcessResult> all(3), last(3);
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&, i] { all[size_t(i)] = d->cli({"logs", "talk-rep-0"}, std::chrono::seconds(120)); });
    readers.emplace_back([&, i] { last[size_t(i)] = d->cli({"logs", "--tail", "1", "talk-rep-0"}, std::chrono::seconds(120)); });
  }
  for (auto& t : readers) t.join();
  const long after = status_kib(status, "VmHWM:");
  EXPECT_LT(after - before, 16 * 1024) << "the daemon's peak grew from " << before << " KiB to " << after << " KiB";
  std::string out, err;
  for (int i = 0; i < kPairs; ++i) {
    out += fmt::format("out {}\n", i);
    err += fmt::format("err {}\n", i);
  }
  out += "partial line without newline\n";
  for (const auto& r : all) {
    EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 500);
    EXPECT_TRUE(r.out == out) << r.out.size() << " bytes, not " << out.size();  // every line, in order
    EXPECT_TRUE(r.err == err) << r.err.size() << " bytes, not " << err.size();
  }
  for (const auto& r : last) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "partial line without newline\n");
    EXPECT_EQ(r.err, "");
  }
  auto three = d->cli({"logs", "--tail", "3", "talk-rep-0"});
  EXPECT_EQ(three.out, fmt::format("out {}\npartial line without newline\n", kPairs - 1));
  EXPECT_EQ(three.err, fmt::format("err {}\n", kPairs - 1));
  EXPECT_EQ(d->cli({"logs", "--since", "2h", "--tail", "2", "talk-rep-0"}).err, fmt::format("err {}\n", kPairs - 1));
  auto future = d->cli({"logs", "--since", "2099-01-01T00:00:00Z", "talk-rep-0"});
  EXPECT_EQ(future.exit_code, 0) << future.err;
  EXPECT_EQ(future.out + future.err, "");
  auto missing = d->cli({"logs", "nope-rep-0"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nope-rep-0"), std::string::npos) << missing.err;
}

// A client that connected and sends nothing (an idle keep-alive
// connection) does not hold the daemon's exit: httplib would wait out its
// 5 s keep-alive timeout for the request.
TEST_F(DaemonTest, AnIdleClientDoesNotDelayTheExit) {
  const int fd = connect_raw(data / "wasmlet.sock");
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the daemon is waiting for its request
  const auto t0 = std::chrono::steady_clock::now();
  int status = d->terminate();
  const auto took = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_LT(took, std::chrono::seconds(2)) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

// Runs `spec` (a chatty-rep-0 of 40000 lines: more than a socket's buffers
// hold) and follows its log from a client that reads nothing: an answer
// under way that holds the shutdown's grace (up to 5 s) open. The
// connection, or -1.
int hold_the_shutdown_grace(Daemon& d, const fs::path& spec) {
  if (d.cli({"up", "-f", spec.string()}).exit_code != 0 || d.cli({"wait", "chatty-rep-0"}).exit_code != 0) return -1;
  const int fd = connect_raw(d.data_dir() / "wasmlet.sock");
  if (fd < 0) return -1;
  const std::string req = "GET /v1/instances/chatty-rep-0/logs?follow=true HTTP/1.1\r\nHost: wasmlet\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the daemon's write is blocked by now
  return fd;
}

// Nor does a client that reads nothing of its answer: the shutdown lets
// answers under way go out for 5 s, then cuts their connections (httplib
// would block each write up to its 30 s write timeout).
TEST_F(DaemonTest, AClientThatReadsNothingDoesNotHoldTheExit) {
  auto spec = write_spec("version: v1\ndeployment: s\nservices:\n  chatty:\n    image: " + fixture("rt_alternate_output") +
                         "\n    command: {args: [\"20000\"]}\n");
  const int fd = hold_the_shutdown_grace(*d, spec);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const auto t0 = std::chrono::steady_clock::now();
  int status = d->terminate();
  const auto took = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LT(took, std::chrono::seconds(15)) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

// Once the shutdown has begun, a request is refused (503), not run: the
// runtime's instances were gone by then, so a create of an existing
// instance's name passed the "already exists" check, deleted that
// instance's logs and overwrote its record, and `ps` answered [].
TEST_F(DaemonTest, NoRequestIsRunOnceTheShutdownBegan) {
  auto spec = write_spec("version: v1\ndeployment: s\nservices:\n  chatty:\n    image: " + fixture("rt_alternate_output") +
                         "\n    command: {args: [\"20000\"]}\n");
  const int fd = hold_the_shutdown_grace(*d, spec);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const std::string tail = d->cli({"logs", "--tail", "2", "chatty-rep-0"}).err;
  ASSERT_EQ(tail, "err 19999\n");
  ASSERT_EQ(::kill(d->pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the shutdown is under way, in its grace
  auto again = write_spec("version: v1\ndeployment: s\nservices:\n  chatty:\n    image: " + fixture("exit_code") +
                          "\n    command: {args: [\"1\"]}\n", "again.yaml");
  auto created = d->cli({"create", "-f", again.string()});
  EXPECT_EQ(created.exit_code, 1) << created.out;
  EXPECT_NE(created.err.find("the daemon is shutting down"), std::string::npos) << created.err;
  auto listed = d->cli({"ps", "-a"});
  EXPECT_EQ(listed.exit_code, 1) << listed.out;
  EXPECT_NE(listed.err.find("GET /v1/instances: the daemon is shutting down"), std::string::npos) << listed.err;
  // Answered 503 with the kind shutting_down, by the table every error is answered by.
  const int raw = connect_raw(d->data_dir() / "wasmlet.sock");
  ASSERT_GE(raw, 0) << std::strerror(errno);
  const std::string ping = "GET /v1/ping HTTP/1.0\r\nHost: wasmlet\r\n\r\n";
  ::send(raw, ping.data(), ping.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(raw, buf, sizeof buf, 0)) > 0;) answer.append(buf, size_t(n));
  ::close(raw);
  EXPECT_NE(answer.substr(0, answer.find('\r')).find(" 503 "), std::string::npos) << answer;
  EXPECT_NE(answer.find(R"("kind":"shutting_down")"), std::string::npos) << answer;
  int status = d->terminate();
  ::close(fd);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  d->start();
  EXPECT_EQ(d->cli({"logs", "--tail", "2", "chatty-rep-0"}).err, tail);
  auto inspect = d->cli({"inspect", "chatty-rep-0"});
  EXPECT_NE(inspect.out.find("20000"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("rt_alternate_output"), std::string::npos) << inspect.out;
}

// A pull from a registry that accepts and never answers does not hold the
// daemon's exit: the shutdown cancels the transfer, and the pull's answer
// says why it failed. (Joining the pull's thread held the exit for minutes:
// only a low-speed limit, 1 byte in 60 s, ended each of its attempts.)
TEST_F(DaemonTest, AStuckPullDoesNotHoldTheExit) {
  uint16_t port = 0;
  const int registry = listen_loopback(port);  // the kernel accepts the connection; nothing ever answers
  ASSERT_GE(registry, 0) << std::strerror(errno);
  auto spec = write_spec("version: v1\ndeployment: p\nservices:\n  app:\n    image: 127.0.0.1:" + std::to_string(port) +
                         "/stuck/app:1\n");
  ProcessResult created;
  std::thread creator([&] { created = d->cli({"create", "-f", spec.string()}, std::chrono::seconds(300)); });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the create's pull waits for the registry by now
  const auto t0 = std::chrono::steady_clock::now();
  int status = d->terminate();
  const auto took = std::chrono::steady_clock::now() - t0;
  creator.join();
  ::close(registry);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LT(took, std::chrono::seconds(5)) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_EQ(created.exit_code, 1) << created.out;
  EXPECT_NE(created.err.find("the transfer was cancelled (the runtime is shutting down)"), std::string::npos) << created.err;
}

TEST_F(DaemonTest, SocketIsPrivate) {
  struct stat st {};
  ASSERT_EQ(::stat((data / "wasmlet.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Daemon* second = nullptr;
  EXPECT_THROW(second = new Daemon(data), std::runtime_error);  // one daemon per data dir
  delete second;
}

// `serve --socket PATH` removes only a stale socket there (nothing accepts on it).
TEST_F(DaemonTest, ServeLeavesAnotherDaemonsSocketAlone) {
  const fs::path live = data / "wasmlet.sock";
  auto r = wasmlet({"serve", "--data-dir", (dir.path() / "other").string(), "--socket", live.string()}, std::chrono::seconds(10));
  EXPECT_GT(r.exit_code, 0) << r.err;  // not killed after the 10 s: it did not serve
  EXPECT_NE(r.err.find("another daemon is listening on " + live.string()), std::string::npos) << r.err;
  EXPECT_EQ(d->cli({"ps"}).exit_code, 0) << "the first daemon's socket was removed";
}

TEST(DaemonSocket, ServeRefusesAPathThatIsNotASocket) {
  TempDir dir;
  const fs::path file = dir.path() / "notes.txt";
  write_text(file, "keep me\n");
  auto r = wasmlet({"serve", "--data-dir", (dir.path() / "data").string(), "--socket", file.string()}, std::chrono::seconds(10));
  EXPECT_GT(r.exit_code, 0) << r.err;  // not killed after the 10 s: it did not serve
  EXPECT_NE(r.err.find(file.string() + " exists and is not a socket"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(file), "keep me\n");
}

// A directory given as the socket: the error says so and names a socket
// path in it to give instead (it said only "exists and is not a socket").
TEST(DaemonSocket, ServeSaysADirectoryIsNoSocketPath) {
  TempDir dir;
  const fs::path sockets = dir.path() / "sockets";
  fs::create_directories(sockets);
  auto r = wasmlet({"serve", "--data-dir", (dir.path() / "data").string(), "--socket", sockets.string()}, std::chrono::seconds(10));
  EXPECT_GT(r.exit_code, 0) << r.err;  // not killed after the 10 s: it did not serve
  EXPECT_NE(r.err.find("the socket path '" + sockets.string() + "' is a directory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("e.g. --socket " + (sockets / "wasmlet.sock").string()), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_directory(sockets));
}

// A file given as the data dir (or as one of its parents): the error names
// it and says to give a directory (it was a bare "filesystem error").
TEST(DaemonDataDir, ServeSaysAFileIsNoDataDir) {
  TempDir dir;
  const fs::path file = dir.path() / "notes.txt";
  write_text(file, "keep me\n");
  const fs::path sock = dir.path() / "d.sock";
  auto r = wasmlet({"serve", "--data-dir", file.string(), "--socket", sock.string()}, std::chrono::seconds(10));
  EXPECT_GT(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("the data dir '" + file.string() + "' is a file, not a directory: give --data-dir"), std::string::npos)
      << r.err;
  auto under = wasmlet({"serve", "--data-dir", (file / "data").string(), "--socket", sock.string()}, std::chrono::seconds(10));
  EXPECT_GT(under.exit_code, 0) << under.err;
  EXPECT_NE(under.err.find("cannot create the data dir '" + (file / "data").string() + "': '" + file.string() +
                           "' is a file, not a directory; give --data-dir"),
            std::string::npos)
      << under.err;
  EXPECT_EQ(read_text(file), "keep me\n");
}

// At exit the daemon removes its socket only if the path still is that socket.
TEST(DaemonSocket, ExitLeavesWhatReplacedTheSocket) {
  TempDir dir;
  const fs::path sock = dir.path() / "d.sock";
  Daemon d(dir.path() / "data", {"--socket", sock.string()});
  // Serving: a SIGTERM before the listener runs is not seen (a daemon race this test is not about).
  ASSERT_EQ(wasmlet({"ps", "--socket", sock.string()}).exit_code, 0);
  fs::remove(sock);
  write_text(sock, "someone else's\n");
  int status = d.terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(read_text(sock), "someone else's\n");
}

TEST(DaemonTcp, LoopbackListenerNeedsTheBearerToken) {
  TempDir dir;
  uint16_t port = free_port();
  write_text(dir.path() / "token", "s3cret\n");
  Daemon d(dir.path() / "data", {"--listen", "127.0.0.1:" + std::to_string(port), "--token-file", (dir.path() / "token").string()});
  EXPECT_NE(http_get(port, "/v1/ping").find("401"), std::string::npos);
  EXPECT_NE(http_get(port, "/v1/ping", "Authorization: Bearer wrong\r\n").find("401"), std::string::npos);
  auto ok = http_get(port, "/v1/instances", "Authorization: Bearer s3cret\r\n");
  EXPECT_NE(ok.find("200 OK"), std::string::npos) << ok;
  EXPECT_NE(ok.find("[]"), std::string::npos) << ok;
}

TEST(DaemonAbsent, ClearErrorWhenNotRunning) {
  TempDir dir;
  auto r = wasmlet({"ps", "--data-dir", (dir.path() / "none").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("daemon is not running"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wasmlet serve"), std::string::npos) << r.err;
  // A --socket that is a file, not a socket, is not called a stale socket.
  write_text(dir.path() / "file", "not a socket\n");
  // (--data-dir too: the default one may exist on this machine, and ps
  // would then read it offline.)
  auto file = wasmlet({"ps", "--socket", (dir.path() / "file").string(), "--data-dir", (dir.path() / "none").string()});
  EXPECT_EQ(file.exit_code, 1);
  EXPECT_NE(file.err.find("file' is not a socket, so no wasmlet daemon listens there"), std::string::npos) << file.err;
}

}  // namespace
}  // namespace wasmlet::testing
