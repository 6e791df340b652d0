// Images from a real registry (docker-registry on 127.0.0.1): the runtime
// pulls a CNCF wasm artifact through the registry client per pull policy.
#include <gtest/gtest.h>

#include "runtime_support.h"
#include "wasmlet/registry/digest.h"
#include "wasmlet/registry/pull_policy.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {
namespace {

using testing::fixture;
using testing::service;
using testing::TempDir;

// docker-registry serve on a free loopback port; ready once it says it listens.
class Registry {
 public:
  Registry() {
    port_ = testing::free_port();
    testing::write_text(dir_.path() / "config.yml",
                        "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
                        "    rootdirectory: " + (dir_.path() / "storage").string() + "\nhttp:\n  addr: 127.0.0.1:" +
                            std::to_string(port_) + "\n");
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC)) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 1);
    std::string cfg = (dir_.path() / "config.yml").string();
    const char* argv[] = {"/usr/bin/docker-registry", "serve", cfg.c_str(), nullptr};
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, const_cast<char**>(argv), environ) != 0)
      throw std::runtime_error("cannot start /usr/bin/docker-registry");
    posix_spawn_file_actions_destroy(&fa);
    close(err_pipe[1]);
    std::string seen;
    char buf[512];
    ssize_t n;
    while (seen.find("listening on") == std::string::npos && (n = read(err_pipe[0], buf, sizeof buf)) > 0) seen.append(buf, n);
    log_fd_ = err_pipe[0];  // kept open: a Go program dies of SIGPIPE on a closed stderr
    if (seen.find("listening on") == std::string::npos) throw std::runtime_error("docker-registry did not start: " + seen);
  }
  ~Registry() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    ::close(log_fd_);
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int log_fd_ = -1;
};

TEST(RegistryImages, PullsAWasmArtifactPerPolicyAndRunsIt) {
  if (!std::filesystem::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
  Registry reg;
  std::string ref = reg.host() + "/rt/exit:v1";
  registry::DistributionClient client;
  registry::push_wasm(client, testing::read_text(fixture("exit_code")), "exit_code.wasm", registry::Reference::parse(ref));

  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
  auto never = service(ref, {"9"});  // pull_policy never, nothing stored yet
  try {
    rt.create({"never", 0}, never);
    FAIL() << "created from an image that was never pulled";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(e.kind(), RuntimeError::Kind::NotFound);
    EXPECT_NE(std::string(e.what()).find(ref), std::string::npos) << e.what();
  }
  auto spec = service(ref, {"9"});
  spec.image.pull_policy = PullPolicy::IfNotPresent;
  rt.create({"pulled", 0}, spec);
  rt.start({"pulled", 0});
  EXPECT_EQ(rt.wait({"pulled", 0}), 9);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "oci/index.json"));
  rt.create({"never", 0}, never);  // now it is stored
  rt.start({"never", 0});
  EXPECT_EQ(rt.wait({"never", 0}), 9);

  auto missing = service(reg.host() + "/rt/none:v1");
  missing.image.pull_policy = PullPolicy::Always;
  try {
    rt.create({"missing", 0}, missing);
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_EQ(e.kind(), RuntimeError::Kind::PullFailed);
    EXPECT_NE(std::string(e.what()).find("rt/none"), std::string::npos) << e.what();
  }
}

// The extracted modules were keyed by the reference with / : @ turned into
// _, so these references shared one file and one image ran as the other
// (issue 16, defect 2); now each module is stored under its manifest digest.
TEST(RegistryImages, ReferencesThatUsedToCollideRunTheirOwnModules) {
  if (!std::filesystem::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
  Registry reg;
  const std::string slash = reg.host() + "/a/b:c", underscore = reg.host() + "/a_b:c";
  registry::DistributionClient client;
  registry::push_wasm(client, testing::read_text(fixture("exit_code")), "exit_code.wasm", registry::Reference::parse(slash));
  registry::push_wasm(client, testing::read_text(fixture("main_only")), "main_only.wasm", registry::Reference::parse(underscore));

  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
  auto run = [&](const std::string& service_name, const std::string& ref, PullPolicy policy) {
    auto spec = service(ref, {"9"});
    spec.image.pull_policy = policy;
    rt.create({service_name, 0}, spec);
    rt.start({service_name, 0});
    return rt.wait({service_name, 0});
  };
  EXPECT_EQ(run("slash", slash, PullPolicy::IfNotPresent), 9);            // exit_code: exits with its argument
  EXPECT_EQ(run("underscore", underscore, PullPolicy::IfNotPresent), 5);  // main_only: main returns 5
  EXPECT_EQ(run("slash-again", slash, PullPolicy::Never), 9);             // the second pull left the first alone
  EXPECT_NE(rt.inspect({"slash", 0}).image_path, rt.inspect({"underscore", 0}).image_path);
  auto images = rt.list_images();
  ASSERT_EQ(images.size(), 2u);
  EXPECT_NE(images[0].manifest.digest, images[1].manifest.digest);
  // A second reference to the same image shares its module file.
  rt.tag_image(slash, reg.host() + "/other:v1");
  EXPECT_EQ(run("tagged", reg.host() + "/other:v1", PullPolicy::Never), 9);
  EXPECT_EQ(rt.inspect({"tagged", 0}).image_path, rt.inspect({"slash", 0}).image_path);
}

// inspect and the reasons of a failure name the image as the user gave it
// (the reference) and the module's digest, never wasmlet's copy of the
// module under the data dir (issue 14).
TEST(RegistryImages, InspectAndErrorsNameTheReferenceNotTheStoredCopy) {
  if (!std::filesystem::exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry is not installed";
  Registry reg;
  const std::string good = reg.host() + "/team/tool:1", bad = reg.host() + "/team/params:1";
  registry::DistributionClient client;
  registry::push_wasm(client, testing::read_text(fixture("exit_code")), "exit_code.wasm", registry::Reference::parse(good));
  registry::push_wasm(client, testing::read_text(fixture("main_with_params")), "params.wasm", registry::Reference::parse(bad));

  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path()}};
  auto spec = service(good, {"4"});
  spec.image.pull_policy = PullPolicy::IfNotPresent;
  rt.create({"tool", 0}, spec);
  rt.start({"tool", 0});
  EXPECT_EQ(rt.wait({"tool", 0}), 4);
  InstanceInfo info = rt.inspect({"tool", 0});
  EXPECT_EQ(info.image, good);
  EXPECT_EQ(info.module_digest, registry::sha256_file_digest(fixture("exit_code")));

  spec = service(bad);
  spec.image.pull_policy = PullPolicy::IfNotPresent;
  rt.create({"params", 0}, spec);
  rt.start({"params", 0});
  rt.wait({"params", 0});
  std::string reason = rt.state({"params", 0}).reason;
  EXPECT_NE(reason.find("image " + bad + "): " + bad + ": export 'main' has type (i32, i32) -> (i32)"), std::string::npos)
      << reason;
  EXPECT_EQ(reason.find(dir.path().string()), std::string::npos) << reason;
  EXPECT_EQ(reason.find("sha256-"), std::string::npos) << reason;
}

}  // namespace
}  // namespace wasmlet::runtime
