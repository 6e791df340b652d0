// wasmlet-oci under podman 4.3 (`podman --runtime wasmlet-oci`), with
// private storage and configuration. podman run/wait take about 20 s here
// after the container ends (conmon's timeout, with runc too), so these tests
// are few and each is its own ctest entry.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "oci_test_support.h"

namespace wasmlet::testing {
namespace {

using namespace std::chrono_literals;

class PodmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (find_tool("podman").empty() || find_tool("conmon").empty())
      GTEST_SKIP() << "podman/conmon are not installed (Debian: apt-get install podman)";
    if (geteuid() != 0) GTEST_SKIP() << "the podman tests run as root";
    std::string d = dir_.path().string();
    // These machines cannot raise the open-file limit: podman's default ulimits would fail every container.
    std::ofstream(dir_ / "containers.conf") << fmt::format(R"([containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{0}/events.log"
[engine.runtimes]
wasmlet = ["{1}"]
)", d, WASMLET_OCI_BIN);
    std::ofstream(dir_ / "storage.conf") << fmt::format(R"([storage]
driver = "overlay"
graphroot = "{0}/graph"
runroot = "{0}/run"
)", d);
    std::filesystem::create_directories(dir_ / "tmp");
  }
  void TearDown() override {
    if (IsSkipped()) return;
    // Not `podman system reset`: it frees every lock in podman's shared lock
    // segment, under the feet of a podman test running in parallel.
    podman({"rm", "--all", "--force"});
    podman({"rmi", "--all", "--force"});
    EXPECT_EQ(processes_mentioning(dir_.path().string() + "/"), std::vector<std::string>{});
    EXPECT_EQ(mounts_mentioning(dir_.path().string() + "/"), std::vector<std::string>{});
  }
  // podman ARGS, its exit status and output (stdout and stderr together).
  // Not through pipes: `podman run -d` leaves them open in conmon.
  struct PodmanResult {
    int exit_code;
    std::string output;
  };
  PodmanResult podman(const std::vector<std::string>& args, std::chrono::milliseconds limit = 120s,
                      const std::string& input = "/dev/null") {
    std::string d = dir_.path().string();
    std::vector<std::string> argv = {find_tool("podman"), "--runtime", "wasmlet", "--tmpdir", d + "/tmp"};
    argv.insert(argv.end(), args.begin(), args.end());
    BackgroundProcess p(argv, dir_ / ("podman-" + std::to_string(++calls_) + ".out"),
                        {"CONTAINERS_CONF=" + d + "/containers.conf", "CONTAINERS_STORAGE_CONF=" + d + "/storage.conf",
                         "WASMLET_OCI_CACHE_DIR=" OCI_CACHE_DIR},
                        input);
    int status = p.wait(limit);
    return {status, p.output()};
  }
  std::string load(const std::string& name) {
    std::string ref = "example.com/wasmlet-test/" + name + ":1";
    auto r = podman({"load", "-i", build_wasm_image(dir_, name, ref).string()});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return ref;
  }

  TempDir dir_;
  int calls_ = 0;
};

TEST_F(PodmanTest, RunsAWasmImageWithArgsEnvAndExitCode) {
  std::string image = load("rt_env_args");
  auto r = podman({"run", "--rm", "--pull", "never", "--network", "none", "--env", "GREETING=hi", image, "x1"});
  EXPECT_EQ(r.exit_code, 7) << r.output;
  for (const char* line : {"arg[0]=/rt_env_args.wasm\n", "arg[1]=x1\n", "env GREETING=hi\n", "env container=podman\n"})
    EXPECT_NE(r.output.find(line), std::string::npos) << line << " in\n" << r.output;
}

// A WASI 0.2 command component runs as a module does (the one program
// runner, wasmlet/program.h): arguments, environment and its exit status.
TEST_F(PodmanTest, RunsAWasiComponentImage) {
  // Linked with wasip2_glue: its exit code goes through wasi:cli/exit (tests/component).
  std::filesystem::path component = COMPONENT_DIR "/rt_env_args.wasip2.component.wasm";
  if (!std::filesystem::exists(component)) GTEST_SKIP() << "no component fixtures (jco is not installed: npm ci)";
  std::string image = "example.com/wasmlet-test/rt-env-args-component:1";
  auto loaded = podman({"load", "-i", build_wasm_image_of(dir_, component, image).string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  auto r = podman({"run", "--rm", "--pull", "never", "--network", "none", "--env", "GREETING=hi", image, "x1"});
  EXPECT_EQ(r.exit_code, 7) << r.output;
  for (const char* line : {"arg[0]=/rt_env_args.wasip2.component.wasm\n", "arg[1]=x1\n", "env GREETING=hi\n"})
    EXPECT_NE(r.output.find(line), std::string::npos) << line << " in\n" << r.output;
}

TEST_F(PodmanTest, InteractiveRunGivesTheGuestPodmansStdin) {
  std::string image = load("cat_stdin");
  std::ofstream(dir_ / "input.txt") << "line one\nline two\n";
  auto r = podman({"run", "--rm", "-i", "--pull", "never", "--network", "none", image}, 120s,
                  (dir_ / "input.txt").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("line one\nline two\n"), std::string::npos) << r.output;
}

TEST_F(PodmanTest, KillEndsALoopingGuestWith143) {
  std::string image = load("loop_forever");
  auto started = podman({"run", "-d", "--pull", "never", "--network", "none", "--name", "looper", image});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  bool looping = false;
  for (int i = 0; i < 100 && !looping; ++i) {
    looping = podman({"logs", "looper"}).output.find("looping") != std::string::npos;
    if (!looping) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(looping);
  auto kill_start = std::chrono::steady_clock::now();
  auto kill = podman({"kill", "--signal", "TERM", "looper"});
  EXPECT_EQ(kill.exit_code, 0) << kill.output;
  auto wait = podman({"wait", "looper"});
  EXPECT_EQ(wait.output, "143\n");
  auto inspect = podman({"inspect", "--format", "{{.State.ExitCode}}", "looper"});
  EXPECT_EQ(inspect.output, "143\n");
  std::cout << "podman kill + wait took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - kill_start).count()
            << " ms\n";
}

}  // namespace
}  // namespace wasmlet::testing
