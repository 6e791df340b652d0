// docker's habits in the daemon verbs (docs/cli.md, "docker / compose /
// wasmtime habit → wasmlet"): ps -q/--filter/--no-trunc, stats of every
// running instance, kill -s 9/KILL, inspect --format table, run -d.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <thread>

#include "runtime_support.h"

namespace wasmlet::testing {
namespace {

using nlohmann::json;

class CliHabits : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir.path() / "spec.yaml",
               "version: v1\ndeployment: habits\nservices:\n"
               "  job:\n    image: " + fixture("exit_code") + "\n    command: {args: [\"3\"]}\n"
               "  loop:\n    image: " + fixture("loop_forever") + "\n    scale: {replicas: 2}\n");
    auto up = d->cli({"up", "-f", (dir.path() / "spec.yaml").string()});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    ASSERT_EQ(d->cli({"wait", "job-rep-0"}).exit_code, 3);
  }
  // An instance that fails at start, with a reason longer than ps shows.
  void add_broken() {
    write_text(dir.path() / "a-module-file-with-a-rather-long-name-that-is-not-wasm.wasm", "not a module");
    write_text(dir.path() / "broken.yaml", "version: v1\ndeployment: broken\nservices:\n  broken:\n    image: " +
                                               (dir.path() / "a-module-file-with-a-rather-long-name-that-is-not-wasm.wasm").string() + "\n");
    d->cli({"up", "-f", (dir.path() / "broken.yaml").string()});  // its exit status is compose's business
    for (int i = 0; i < 200; ++i) {
      auto info = json::parse(d->cli({"ps", "-a", "--format", "json"}).out);
      for (const auto& x : info)
        if (x["id"] == "broken-rep-0" && x["state"]["status"] == "failed") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "broken-rep-0 never failed";
  }
  TempDir dir;
  fs::path data = dir.path() / "data";
  std::unique_ptr<Daemon> d = std::make_unique<Daemon>(data);
};

// As docker: a verb over several ids goes on past one that fails, reports
// each failure, and exits 1 at the end.
TEST_F(CliHabits, SeveralIdsGoOnPastAFailure) {
  auto stop = d->cli({"stop", "-t", "2s", "nope-rep-0", "loop-rep-0", "gone-rep-3", "loop-rep-1"});
  EXPECT_EQ(stop.exit_code, 1);
  EXPECT_EQ(stop.out, "loop-rep-0\nloop-rep-1\n");
  EXPECT_NE(stop.err.find("nope-rep-0"), std::string::npos) << stop.err;
  EXPECT_NE(stop.err.find("gone-rep-3"), std::string::npos) << stop.err;
  auto wait = d->cli({"wait", "nope-rep-0", "loop-rep-0", "job-rep-0"});
  EXPECT_EQ(wait.exit_code, 1) << wait.err;
  EXPECT_EQ(wait.out, "143\n3\n");
  EXPECT_NE(wait.err.find("nope-rep-0"), std::string::npos) << wait.err;
  auto inspect = d->cli({"inspect", "job-rep-0", "nope-rep-0"});
  EXPECT_EQ(inspect.exit_code, 1);
  EXPECT_EQ(json::parse(inspect.out).size(), 1u) << inspect.out;
  auto start = d->cli({"start", "nope-rep-0", "loop-rep-0"});
  EXPECT_EQ(start.exit_code, 1);
  EXPECT_EQ(start.out, "loop-rep-0\n");
  auto kill = d->cli({"kill", "loop-rep-0", "nope-rep-0"});
  EXPECT_EQ(kill.exit_code, 1);
  EXPECT_EQ(kill.out, "loop-rep-0\n");
  auto rm = d->cli({"rm", "nope-rep-0", "job-rep-0", "nope-rep-1"});
  EXPECT_EQ(rm.exit_code, 1);
  EXPECT_EQ(rm.out, "job-rep-0\n");
  EXPECT_NE(rm.err.find("nope-rep-1"), std::string::npos) << rm.err;
}

TEST_F(CliHabits, PsQuietFilterAndNoTrunc) {
  add_broken();
  auto quiet = d->cli({"ps", "-q"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "loop-rep-0\nloop-rep-1\n");
  auto exited = d->cli({"ps", "-q", "--filter", "status=exited"});
  EXPECT_EQ(exited.out, "job-rep-0\n") << exited.err;
  auto two = d->cli({"ps", "-q", "--filter", "status=exited", "--filter", "status=failed"});
  EXPECT_EQ(two.out, "broken-rep-0\njob-rep-0\n") << two.err;
  auto bad = d->cli({"ps", "--filter", "colour=red"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("wasmlet: error: ps: invalid --filter 'colour=red': unknown key 'colour' (known: deployment, status)"),
            std::string::npos) << bad.err;

  auto cut = d->cli({"ps", "-a"});
  auto whole = d->cli({"ps", "-a", "--no-trunc"});
  auto reason = json::parse(d->cli({"inspect", "broken-rep-0"}).out)[0]["state"]["reason"].get<std::string>();
  std::string tail = reason.substr(reason.find("): ") + 3);
  EXPECT_EQ(cut.out.find(tail), std::string::npos) << cut.out;
  EXPECT_NE(whole.out.find("failed: " + tail), std::string::npos) << whole.out << "\nreason: " << reason;
  EXPECT_NE(whole.out.find("a-module-file-with-a-rather-long-name-that-is-not-wasm.wasm"), std::string::npos) << whole.out;
}

TEST_F(CliHabits, StatsShowsEveryRunningInstanceAndNoHeaderBeforeAnError) {
  auto all = d->cli({"stats", "--no-stream"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out.rfind("ID ", 0), 0u) << all.out;
  EXPECT_NE(all.out.find("\nloop-rep-0 "), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("\nloop-rep-1 "), std::string::npos) << all.out;
  EXPECT_EQ(all.out.find("job-rep-0"), std::string::npos) << all.out;
  auto missing = d->cli({"stats", "loop-rep-0", "nope-rep-0"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err.rfind("wasmlet: error: ", 0), 0u) << missing.err;
  EXPECT_NE(missing.err.find("nope-rep-0"), std::string::npos) << missing.err;
}

TEST_F(CliHabits, KillTakesDockersSignalSpellings) {
  EXPECT_EQ(d->cli({"kill", "-s", "9", "loop-rep-0"}).exit_code, 0);
  EXPECT_EQ(d->cli({"kill", "-s", "KILL", "loop-rep-1"}).exit_code, 0);
  EXPECT_EQ(d->cli({"wait", "loop-rep-0"}).out, "137\n");
  EXPECT_EQ(d->cli({"wait", "loop-rep-1"}).out, "137\n");
}

TEST_F(CliHabits, InspectFormatTable) {
  // The module's digest as sha256sum computes it.
  auto sum = run_process({"/usr/bin/sha256sum", fixture("exit_code")});
  ASSERT_EQ(sum.exit_code, 0) << sum.err;
  const std::string digest = "sha256:" + sum.out.substr(0, 64);
  auto table = d->cli({"inspect", "--format", "table", "job-rep-0"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("ID:        job-rep-0\nImage:     " + fixture("exit_code") + "\nDigest:    " + digest +
                           "\nState:     exited(3)"),
            std::string::npos) << table.out;
  auto info = json::parse(d->cli({"inspect", "job-rep-0"}).out)[0];  // JSON stays the default
  EXPECT_EQ(info["id"], "job-rep-0");
  EXPECT_EQ(info["image"], fixture("exit_code"));
  EXPECT_EQ(info["module_digest"], digest);
  // Nothing names wasmlet's own copy of the module under the data dir.
  EXPECT_EQ(info.dump().find((data / "images").string()), std::string::npos) << info.dump(2);
  EXPECT_FALSE(info.contains("image_path")) << info.dump(2);
  add_broken();
  auto reason = json::parse(d->cli({"inspect", "broken-rep-0"}).out)[0]["state"]["reason"].get<std::string>();
  EXPECT_NE(reason.find("a-module-file-with-a-rather-long-name-that-is-not-wasm.wasm: not a WebAssembly module or component"),
            std::string::npos) << reason;
  EXPECT_EQ(reason.find(data.string()), std::string::npos) << reason;
}

// docker run -d: an instance from run flags, no YAML.
TEST_F(CliHabits, RunDetachedCreatesAndStartsAnInstance) {
  auto r = d->cli({"run", "-d", "--name", "sleeper", "--env", "A=1", fixture("rt_sleep"), "--", "3600"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "sleeper-rep-0\n");
  auto info = json::parse(d->cli({"inspect", "sleeper-rep-0"}).out)[0];
  EXPECT_EQ(info["state"]["status"], "running") << info.dump();
  EXPECT_EQ(info["image"], fixture("rt_sleep"));
  // The guest prints once it runs; "running" can come first, so poll its logs for up to 10 s.
  auto logs = d->cli({"logs", "sleeper-rep-0"});
  for (int i = 0; i < 200 && logs.out.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    logs = d->cli({"logs", "sleeper-rep-0"});
  }
  EXPECT_EQ(logs.out, "sleeping\n") << logs.err;
  auto again = d->cli({"run", "-d", "--name", "sleeper", fixture("rt_sleep")});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("sleeper-rep-0"), std::string::npos) << again.err;
  auto named = d->cli({"run", "-d", fixture("exit_code"), "--", "4"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(named.out, "exit_code-rep-0\n");
  EXPECT_EQ(d->cli({"wait", "exit_code-rep-0"}).exit_code, 4);
  auto invoke = d->cli({"run", "-d", "--invoke", "f", fixture("exit_code")});
  EXPECT_EQ(invoke.exit_code, 2);
  EXPECT_NE(invoke.err.find("--invoke applies to a run in the foreground"), std::string::npos) << invoke.err;
}

// Without --name, run -d names the instance after the module file, made a
// valid name whatever the file is called (it had said "invalid deployment
// name '_under'" or '--n--' for a UTF-8 name).
TEST_F(CliHabits, RunDetachedMakesAValidNameFromAnyFileName) {
  TempDir mods;
  const std::string wasm = read_text(fixture("exit_code"));
  const std::pair<std::string, std::string> cases[] = {
      {"_under.wasm", "under-rep-0\n"},
      {"\xc3\xbc" "n" "\xc3\xaf" "code.wasm", "n-code-rep-0\n"},
      {std::string(70, 'y') + ".wasm", std::string(63, 'y') + "-rep-0\n"},
  };
  for (const auto& [file, id] : cases) {
    std::ofstream(mods.path() / file, std::ios::binary) << wasm;
    auto r = d->cli({"run", "-d", (mods.path() / file).string()});
    EXPECT_EQ(r.exit_code, 0) << file << ": " << r.err;
    EXPECT_EQ(r.out, id) << file;
  }
  // A file name that is not UTF-8 cannot go into the spec: said so, not a JSON library's error.
  std::ofstream(mods.path() / "bad\xfc.wasm", std::ios::binary) << wasm;
  auto bad = d->cli({"run", "-d", (mods.path() / "bad\xfc.wasm").string()});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("must be UTF-8 text"), std::string::npos) << bad.err;
}

// run -d and start wait for the entry point, as `up` does: a module that can
// never start is an error naming why, not an id that looks started.
TEST_F(CliHabits, RunDetachedAndStartSayWhenItCannotStart) {
  auto notwasm = d->cli({"run", "-d", "--name", "passwd", "/etc/passwd"});
  EXPECT_EQ(notwasm.exit_code, 1);
  EXPECT_EQ(notwasm.out, "");
  EXPECT_NE(notwasm.err.find("wasmlet: error: passwd-rep-0 did not start: "), std::string::npos) << notwasm.err;
  auto again = d->cli({"start", "passwd-rep-0"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("passwd-rep-0 did not start: "), std::string::npos) << again.err;

  uint16_t port = 0;
  int taken = listen_loopback(port);
  ASSERT_GE(taken, 0);
  auto busy = d->cli({"run", "-d", "--name", "busy", "--tcplisten", "127.0.0.1:" + std::to_string(port), fixture("rt_sleep")});
  ::close(taken);
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_NE(busy.err.find("busy-rep-0 did not start: "), std::string::npos) << busy.err;
  EXPECT_NE(busy.err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << busy.err;
  // Once the port is free it starts.
  auto started = d->cli({"start", "busy-rep-0"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.out, "busy-rep-0\n");
}

// run -d makes the module path and --dir sources absolute against the
// client's working directory (the daemon's is another) and normal: no "."
// or ".." is left for ps and inspect to show.
TEST_F(CliHabits, RunDetachedNormalizesRelativePaths) {
  fs::create_directories(dir.path() / "mods");
  fs::create_directories(dir.path() / "host");
  fs::copy_file(fixture("exit_code"), dir.path() / "mods/app.wasm");
  auto r = run_process({"/bin/sh", "-c",
                        "cd '" + dir.path().string() + "' && exec '" + WASMLET_BIN + "' run -d --data-dir '" + data.string() +
                            "' --name rel --dir ./mods/../host::/data ./mods/../mods/app.wasm -- 5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(d->cli({"wait", "rel-rep-0"}).exit_code, 5);
  auto info = json::parse(d->cli({"inspect", "rel-rep-0"}).out)[0];
  EXPECT_EQ(info["image"], (dir.path() / "mods/app.wasm").string()) << info.dump(2);
  auto spec = runtime::parse_service(info["spec"].get<std::string>(), "rel");
  ASSERT_EQ(spec.storage.size(), 1u) << runtime::to_yaml(spec);
  EXPECT_EQ(spec.storage[0].source, (dir.path() / "host").string());
}

// cli.md lists status=created: a created instance's state is "pending".
TEST_F(CliHabits, PsFilterStatusCreatedFindsCreatedInstances) {
  write_text(dir.path() / "later.yaml", "version: v1\ndeployment: later\nservices:\n  idle:\n    image: " +
                                            fixture("exit_code") + "\n");
  ASSERT_EQ(d->cli({"create", "-f", (dir.path() / "later.yaml").string()}).exit_code, 0);
  EXPECT_EQ(d->cli({"ps", "-q", "--filter", "status=created"}).out, "idle-rep-0\n");
  EXPECT_EQ(d->cli({"ps", "-q", "--filter", "status=pending"}).out, "idle-rep-0\n");
  const std::string both = d->cli({"ps", "-q", "--filter", "status=created", "--filter", "status=exited"}).out;
  EXPECT_TRUE(both == "job-rep-0\nidle-rep-0\n" || both == "idle-rep-0\njob-rep-0\n") << both;
  auto bogus = d->cli({"ps", "--filter", "status=bogus"});
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_NE(bogus.err.find("unknown status 'bogus' (known: created, "), std::string::npos) << bogus.err;
}

// run -d gives what the same flags give in the foreground: --allow-sockets
// adds TCP and UDP sockets and takes nothing away (it used to write
// capabilities {sockets: true}, which turned the filesystem off).
TEST_F(CliHabits, RunDetachedAllowSocketsKeepsTheOtherCapabilities) {
  TempDir host;
  auto r = d->cli({"run", "-d", "--name", "writer", "--allow-sockets", "--dir", host.path().string() + "::/data",
                   fixture("rt_write_volume"), "--", "write", "/data/out.txt", "written"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(d->cli({"wait", "writer-rep-0"}).out, "0\n");
  EXPECT_EQ(read_text(host.path() / "out.txt"), "written\n");
  auto spec = runtime::parse_service(json::parse(d->cli({"inspect", "writer-rep-0"}).out)[0]["spec"].get<std::string>(), "writer");
  ASSERT_TRUE(spec.wasm);
  EXPECT_FALSE(spec.wasm->capabilities) << runtime::to_yaml(spec);  // the standard service's: cli, filesystem, sockets
  EXPECT_TRUE(spec.wasm->allow_tcp);
  EXPECT_TRUE(spec.wasm->allow_udp);

  // A component may listen on TCP, as `wasmlet run --allow-sockets` lets it.
  auto echo = fs::path(COMPONENT_DIR) / "tcp_echo_once.wasip2.component.wasm";
  if (!fs::exists(echo)) GTEST_SKIP() << echo << " was not built (jco missing: npm ci)";
  uint16_t port = free_port();
  auto started = d->cli({"run", "-d", "--name", "echo", "--allow-sockets", "--env",
                         "WASIP2_GLUE_TCPLISTEN=127.0.0.1:" + std::to_string(port), echo.string()});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  int fd = connect_loopback_when_listening(port, std::chrono::seconds(90));
  ASSERT_GE(fd, 0) << "the component never listened: " << d->cli({"logs", "echo-rep-0"}).err;
  ASSERT_EQ(::write(fd, "over tcp", 8), 8);
  ::shutdown(fd, SHUT_WR);
  std::string echoed;
  char buf[64];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) echoed.append(buf, size_t(n));
  ::close(fd);
  EXPECT_EQ(echoed, "over tcp");
  EXPECT_EQ(d->cli({"wait", "echo-rep-0"}).out, "0\n");
}

}  // namespace
}  // namespace wasmlet::testing
