// One program runner (issue 16): `wasmlet run` in the foreground and the
// daemon (`wasmlet run -d`, then `wasmlet wait`) give the same exit status
// and say the same thing for the same program and limits: exit codes,
// codes beyond 8 bits, traps, fuel, timeouts in guest code and in a
// blocking host call, the memory limit, and an entry point with parameters.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime_support.h"

namespace wasmlet::testing {
namespace {

using nlohmann::json;

struct Case {
  std::string name;
  std::vector<std::string> flags;
  std::string module;
  std::vector<std::string> args;
  int status;
  std::string message;  // in `run`'s stderr and in the daemon's log ("" = none expected)
  std::string cli_setting, daemon_setting;  // how each names the limit that ended it
};

const char* const kWide = "exit code 256 does not fit in a process exit status (0-255); exiting with status 1";

std::vector<Case> cases() {
  return {
      {"exit3", {}, fixture("exit_code"), {"3"}, 3, "", "", ""},
      {"exit256", {}, fixture("exit_code"), {"256"}, 1, kWide, "", ""},
      {"main256", {}, fixture("main_returns_256"), {}, 1, kWide, "", ""},
      {"trap", {}, fixture("traps"), {"unreachable"}, 134, "trap: unreachable", "", ""},
      {"fuel", {"--fuel", "100000"}, fixture("loop_forever"), {}, 134, "limit exceeded: fuel", "(--fuel 100000)",
       "(wasm.max_fuel 100000)"},
      {"timeout", {"--timeout", "300ms"}, fixture("loop_forever"), {}, 134, "limit exceeded: timeout", "(--timeout 300ms)",
       "(wasm.request_timeout 300ms)"},
      {"timeout-in-sleep", {"--timeout", "300ms"}, fixture("rt_sleep"), {}, 134, "limit exceeded: timeout",
       "(--timeout 300ms)", "(wasm.request_timeout 300ms)"},
      {"oom", {"--max-memory", "16Mi"}, fixture("rt_memory_hog"), {"trap"}, 137, "out of memory",
       "--max-memory 16Mi refused", "wasm.max_memory 16Mi refused"},
  };
}

std::vector<std::string> run_args(const Case& c, std::vector<std::string> head) {
  head.insert(head.end(), c.flags.begin(), c.flags.end());
  head.push_back(c.module);
  head.push_back("--");
  head.insert(head.end(), c.args.begin(), c.args.end());
  return head;
}

TEST(ExitStatusParity, TheCliAndTheDaemonAgree) {
  TempDir dir;
  Daemon d(dir.path() / "data");
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    auto here = run_wasmlet(run_args(c, {"run"}), std::chrono::seconds(30));
    EXPECT_EQ(here.exit_code, c.status) << here.err;
    if (c.message.empty()) EXPECT_EQ(here.err, "");
    else EXPECT_NE(here.err.find(c.message), std::string::npos) << here.err;
    EXPECT_NE(here.err.find(c.cli_setting), std::string::npos) << here.err;

    auto started = d.cli(run_args(c, {"run", "-d", "--name", c.name}));
    ASSERT_EQ(started.exit_code, 0) << started.err;
    auto waited = d.cli({"wait", c.name + "-rep-0"});
    EXPECT_EQ(waited.exit_code, c.status) << waited.err;
    EXPECT_EQ(waited.out, std::to_string(c.status) + "\n");
    auto logs = d.cli({"logs", c.name + "-rep-0"});
    const std::string logged = logs.out + logs.err;  // the guest's stdout and stderr, and the daemon's notes
    if (!c.message.empty()) {
      EXPECT_NE(logged.find(c.message), std::string::npos) << logged;
      EXPECT_NE(logged.find(c.daemon_setting), std::string::npos) << logged;
    }
    auto info = json::parse(d.cli({"inspect", c.name + "-rep-0"}).out)[0];
    EXPECT_EQ(info["outcome"]["exit_code"], c.status) << info.dump(2);
    if (c.status == 134 || c.status == 137)
      EXPECT_NE(info["state"]["reason"].get<std::string>().find(c.message), std::string::npos) << info.dump(2);
  }
}

// Both refuse an entry point with parameters, with the same words.
TEST(ExitStatusParity, AnEntryPointWithParametersIsRefusedTheSameWay) {
  TempDir dir;
  Daemon d(dir.path() / "data");
  const std::string refusal = "export 'main' has type (i32, i32) -> (i32), but an entry point must take no parameters";
  auto here = run_wasmlet({"run", fixture("main_with_params")});
  EXPECT_EQ(here.exit_code, 1);
  EXPECT_NE(here.err.find(refusal), std::string::npos) << here.err;

  // run -d waits for the entry point, as `up` does, so it says so at once.
  auto detached = d.cli({"run", "-d", "--name", "params", fixture("main_with_params")});
  EXPECT_EQ(detached.exit_code, 1);
  EXPECT_NE(detached.err.find("params-rep-0 did not start: "), std::string::npos) << detached.err;
  EXPECT_NE(detached.err.find(refusal), std::string::npos) << detached.err;
  EXPECT_EQ(d.cli({"wait", "params-rep-0"}).exit_code, 125);
  auto info = json::parse(d.cli({"inspect", "params-rep-0"}).out)[0];
  EXPECT_NE(info["state"]["reason"].get<std::string>().find(refusal), std::string::npos) << info.dump(2);
}

}  // namespace
}  // namespace wasmlet::testing
