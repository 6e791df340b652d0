// `wasmlet run COMPONENT.wasm` end to end: the real CLI on jco command components.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "component_fixtures.h"
#include "process.h"

using namespace wasmlet::testing;
using namespace std::chrono_literals;

#define REQUIRE_COMPONENT_FILE(var, name)                                         \
  auto var = component_test::component_path(name).string();                       \
  if (!std::filesystem::exists(var)) GTEST_SKIP() << var << " was not built: jco is missing (npm ci)"

TEST(ComponentCli, RunsACommandComponent) {
  REQUIRE_COMPONENT_FILE(path, "hello_stdio");
  auto r = run_wasmlet({"run", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from wasm\n");
  EXPECT_EQ(r.err, "a line on stderr\n");
}

TEST(ComponentCli, ExitStatusThroughTheAdapter) {
  REQUIRE_COMPONENT_FILE(path, "exit_code");
  // wasi:cli/exit@0.2 carries ok/err only: jco's adapter exits 1 for any nonzero code.
  EXPECT_EQ(run_wasmlet({"run", path, "--", "0"}).exit_code, 0);
  EXPECT_EQ(run_wasmlet({"run", path, "--", "42"}).exit_code, 1);
}

TEST(ComponentCli, PreopenedDirectory) {
  REQUIRE_COMPONENT_FILE(path, "p2_files");
  component_test::TempDir dir;
  std::filesystem::create_directories(dir.path / "data");
  std::filesystem::create_directories(dir.path / "ro");
  std::ofstream(dir.path / "ro" / "in.txt") << "read-only line\n";
  auto r = run_wasmlet({"run", "--dir", (dir.path / "data").string() + "::/data", "--dir-ro",
                        (dir.path / "ro").string() + "::/ro", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read back: written line\n"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path / "data" / "out.txt"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "ro" / "new.txt"));
}

TEST(ComponentCli, TimeoutStopsALoopingComponent) {
  REQUIRE_COMPONENT_FILE(path, "loop_forever");
  auto r = run_wasmlet({"run", "--timeout", "300ms", path});
  EXPECT_EQ(r.exit_code, 134);
  EXPECT_EQ(r.out, "looping\n");
  EXPECT_NE(r.err.find("limit exceeded: timeout (--timeout 300ms)"), std::string::npos) << r.err;
  EXPECT_LT(r.elapsed, 5000ms);
}

TEST(ComponentCli, MemoryLimitApplies) {
  REQUIRE_COMPONENT_FILE(path, "memory_hog");
  auto r = run_wasmlet({"run", "--max-memory", "8Mi", path});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the guest's exit(3), through the adapter
  EXPECT_NE(r.out.find("before malloc failed"), std::string::npos) << r.out;
}

TEST(ComponentCli, InvokeIsRefusedForComponents) {
  REQUIRE_COMPONENT_FILE(path, "hello_stdio");
  auto r = run_wasmlet({"run", "--invoke", "run", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--invoke applies to core modules"), std::string::npos) << r.err;
}
