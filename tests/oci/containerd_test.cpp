// wasmlet-oci under a private containerd 1.6 (`ctr run --runc-binary`):
// images built by `wasmlet image build`, imported with `ctr images import`.
#include <pty.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "private_containerd.h"

namespace wasmlet::testing {
namespace {

using namespace std::chrono_literals;

class ContainerdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = PrivateContainerd::missing(); !why.empty()) GTEST_SKIP() << why;
    containerd_.emplace(dir_, OCI_CACHE_DIR);
  }
  void TearDown() override {
    if (!containerd_) return;
    containerd_.reset();
    // Nothing of the test's containers may be left: processes, mounts, cgroups, state.
    EXPECT_EQ(processes_mentioning(id_), std::vector<std::string>{});
    EXPECT_EQ(processes_mentioning(dir_.path().string() + "/"), std::vector<std::string>{});
    EXPECT_EQ(mounts_mentioning(id_), std::vector<std::string>{});
    for (const char* hierarchy : {"memory", "cpu", "pids", "unified"})
      EXPECT_FALSE(std::filesystem::exists(std::filesystem::path("/sys/fs/cgroup") / hierarchy /
                                           PrivateContainerd::kNamespace / id_))
          << hierarchy;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "runc-root" / id_));
    remove_parent_cgroup(PrivateContainerd::kNamespace);
  }
  std::string wasm_image(const std::string& name, bool gzip = false) {
    std::string ref = "example.com/wasmlet-test/" + name + ":1";
    containerd_->import(build_wasm_image(dir_, name, ref, gzip));
    return ref;
  }

  TempDir dir_;
  std::optional<PrivateContainerd> containerd_;
  const std::string id_ = "wasmlet-oci-" + std::to_string(getpid());
};

TEST_F(ContainerdTest, RunsAWasmImageWithItsOutputAndExitStatus) {
  std::string image = wasm_image("hello_stdio", true);
  auto r = containerd_->run({}, image, id_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << containerd_->log();
  EXPECT_NE(r.out.find("hello from wasm\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("a line on stderr\n"), std::string::npos) << r.err;
}

TEST_F(ContainerdTest, PassesArgsEnvAndExitCode) {
  std::string image = wasm_image("rt_env_args");
  auto r = containerd_->run({"--env", "GREETING=hi there"}, image, id_, {"/rt_env_args.wasm", "x1", "two words"});
  EXPECT_EQ(r.exit_code, 7) << r.out << r.err;
  for (const char* line : {"arg[0]=/rt_env_args.wasm\n", "arg[1]=x1\n", "arg[2]=two words\n", "env GREETING=hi there\n",
                           "env PWD=/\n", "env PATH=/\n"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " in\n" << r.out;
}

TEST_F(ContainerdTest, KillInterruptsAnInfiniteLoopPromptlyWith143AndPsShowsIt) {
  std::string image = wasm_image("loop_forever");
  BackgroundProcess run(containerd_->run_argv({}, image, id_), dir_ / "run.out");
  ASSERT_TRUE(run.wait_for_output("looping", 60s)) << run.output() << containerd_->log();

  auto tasks = containerd_->ctr({"task", "ls"});
  auto ps = containerd_->ctr({"task", "ps", id_});
  EXPECT_EQ(ps.exit_code, 0) << ps.err;
  // `ctr task ls` shows the container's pid, which `ctr task ps` lists.
  std::istringstream rows(tasks.out);
  std::string pid;
  for (std::string line; std::getline(rows, line);)
    if (line.rfind(id_ + " ", 0) == 0) std::istringstream(line) >> pid >> pid;
  ASSERT_FALSE(pid.empty()) << tasks.out;
  EXPECT_NE(ps.out.find(pid), std::string::npos) << ps.out;
  // The guest is accounted in its cgroup: metrics come from there.
  auto metrics = containerd_->ctr({"task", "metrics", id_});
  EXPECT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_NE(metrics.out.find("memory.usage_in_bytes"), std::string::npos) << metrics.out;

  auto kill_start = std::chrono::steady_clock::now();
  auto kill = containerd_->ctr({"task", "kill", id_});
  EXPECT_EQ(kill.exit_code, 0) << kill.err;
  EXPECT_EQ(run.wait(20s), 143) << run.output();
  auto took = std::chrono::steady_clock::now() - kill_start;
  EXPECT_LT(took, 3s) << "ctr task kill took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

TEST_F(ContainerdTest, RunsWithATerminal) {
  std::string image = wasm_image("hello_stdio");
  std::vector<std::string> argv = containerd_->run_argv({"-t"}, image, id_);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execv(args[0], args.data());
    _exit(127);
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << out;
  // Through the container's terminal: both streams arrive on it, and its
  // line discipline turns each newline into CR LF.
  EXPECT_NE(out.find("hello from wasm\r"), std::string::npos) << out;
  EXPECT_NE(out.find("a line on stderr\r"), std::string::npos) << out;
}

TEST_F(ContainerdTest, BindMountsAreWritableOrReadOnly) {
  std::string image = wasm_image("rt_write_volume");
  std::filesystem::create_directories(dir_ / "data");
  std::string mount = "type=bind,src=" + (dir_ / "data").string() + ",dst=/data,options=rbind:rw";
  auto rw = containerd_->run({"--mount", mount}, image, id_, {"/rt_write_volume.wasm", "write", "/data/note", "from the guest"});
  EXPECT_EQ(rw.exit_code, 0) << rw.out << rw.err;
  EXPECT_EQ(read_text(dir_ / "data/note"), "from the guest\n");

  std::string ro_mount = "type=bind,src=" + (dir_ / "data").string() + ",dst=/data,options=rbind:ro";
  auto ro = containerd_->run({"--mount", ro_mount}, image, id_, {"/rt_write_volume.wasm", "write", "/data/note", "changed"});
  EXPECT_EQ(ro.exit_code, 2) << ro.out << ro.err;
  EXPECT_NE(ro.err.find("cannot open /data/note for writing"), std::string::npos) << ro.err;
  EXPECT_EQ(read_text(dir_ / "data/note"), "from the guest\n");
  auto read = containerd_->run({"--mount", ro_mount}, image, id_, {"/rt_write_volume.wasm", "read", "/data/note"});
  EXPECT_EQ(read.exit_code, 0) << read.out << read.err;
  EXPECT_NE(read.out.find("from the guest"), std::string::npos) << read.out;
}

TEST_F(ContainerdTest, MemoryLimitMakesMemoryGrowFail) {
  std::string image = wasm_image("memory_hog");
  auto r = containerd_->run({"--memory-limit", std::to_string(48 << 20)}, image, id_);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("MiB before malloc failed"), std::string::npos) << r.out;
  auto unlimited = containerd_->run({}, image, id_);
  EXPECT_EQ(unlimited.exit_code, 0) << unlimited.out << unlimited.err;
  EXPECT_NE(unlimited.out.find("allocated 64 MiB\n"), std::string::npos) << unlimited.out;
}

TEST_F(ContainerdTest, HandsALinuxImageToRunc) {
  if (find_tool("runc").empty() && find_tool("crun").empty()) GTEST_SKIP() << "neither runc nor crun is installed";
  std::string ref = "example.com/wasmlet-test/native-hello:1";
  containerd_->import(build_native_image(dir_, ref));
  auto r = containerd_->run({}, ref, id_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << containerd_->log();
  EXPECT_EQ(r.out, "hello from native\n");
}

TEST_F(ContainerdTest, ReportsABadModuleThroughTheShim) {
  // A file with the wasm magic that is not a valid module: create fails, and
  // the shim shows wasmlet-oci's message from the --log JSON lines.
  std::string image = wasm_image("hello_stdio");
  auto r = containerd_->run({"--annotation", "run.oci.handler=wasm"}, image, id_, {"/missing.wasm"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'/missing.wasm' is not a wasm module"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace wasmlet::testing
