// A containerd of the test's own: root, state, sockets and the runc root
// under a temp dir, the CRI plugin disabled, no CNI (containers get a
// network namespace with loopback only). Containers run with
// `ctr run --runc-binary wasmlet-oci`.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "oci_test_support.h"

namespace wasmlet::testing {

class PrivateContainerd {
 public:
  // Empty if containerd and ctr are installed; else why the test is skipped.
  static std::string missing() {
    if (find_tool("containerd").empty() || find_tool("ctr").empty())
      return "containerd/ctr are not installed (Debian: apt-get install containerd runc)";
    if (geteuid() != 0) return "containerd needs root";
    return "";
  }

  explicit PrivateContainerd(const TempDir& dir, const std::string& cache_dir) : dir_(dir) {
    socket_ = (dir / "containerd.sock").string();
    std::ofstream(dir / "config.toml") << fmt::format(R"(version = 2
root = "{0}/root"
state = "{0}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{1}"
[ttrpc]
  address = "{1}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{0}/opt"
)", dir.path().string(), socket_);
    process_.emplace(std::vector<std::string>{find_tool("containerd"), "--config", (dir / "config.toml").string()},
                     dir / "containerd.log", std::vector<std::string>{"WASMLET_OCI_CACHE_DIR=" + cache_dir});
    for (int i = 0; i < 500; ++i) {
      if (std::filesystem::exists(socket_) && ctr({"version"}).exit_code == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "containerd did not come up:\n" << process_->output();
  }
  ~PrivateContainerd() {
    if (!process_) return;
    process_->signal(SIGTERM);
    if (process_->wait(std::chrono::seconds(10)) < 0) process_->signal(SIGKILL);
  }

  // `ctr --address SOCK -n wasmlet-test ARGS...`
  ProcessResult ctr(std::vector<std::string> args, std::chrono::milliseconds limit = std::chrono::seconds(60)) const {
    args.insert(args.begin(), {find_tool("ctr"), "--address", socket_, "-n", kNamespace});
    return run_process(args, limit);
  }
  std::vector<std::string> ctr_argv(std::vector<std::string> args) const {
    args.insert(args.begin(), {find_tool("ctr"), "--address", socket_, "-n", kNamespace});
    return args;
  }
  // `ctr run` with wasmlet-oci as the runtime: OPTIONS, then IMAGE ID [ARGS].
  std::vector<std::string> run_argv(const std::vector<std::string>& options, const std::string& image,
                                    const std::string& id, const std::vector<std::string>& args = {}) const {
    std::vector<std::string> argv = ctr_argv({"run", "--rm", "--runc-binary", WASMLET_OCI_BIN, "--runc-root",
                                              (dir_ / "runc-root").string()});
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(image);
    argv.push_back(id);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  ProcessResult run(const std::vector<std::string>& options, const std::string& image, const std::string& id,
                    const std::vector<std::string>& args = {}) const {
    return run_process(run_argv(options, image, id, args), std::chrono::seconds(90));
  }
  void import(const std::filesystem::path& tar) const {
    auto r = ctr({"images", "import", "--all-platforms", tar.string()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  std::string log() const { return process_->output(); }

  static constexpr const char* kNamespace = "wasmlet-test";

 private:
  const TempDir& dir_;
  std::string socket_;
  std::optional<BackgroundProcess> process_;
};

}  // namespace wasmlet::testing
