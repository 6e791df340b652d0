// Shared by the containerd and podman tests: which tools exist, images built
// by `wasmlet image build`, a static native image, a background process, and
// the check that nothing of a test is left behind.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.h"
#include "registry/tar_writer.h"
#include "temp_dir.h"
#include "wasmlet/registry/digest.h"

namespace wasmlet::testing {

inline std::string find_tool(const std::string& name) {
  for (const char* dir : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    std::string path = std::string(dir) + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `wasmlet image build PROGRAM REF -o DIR/STEM.tar`: the compat image, the
// program at /FILENAME.
inline std::filesystem::path build_wasm_image_of(const TempDir& dir, const std::filesystem::path& program,
                                                 const std::string& ref, bool gzip = false) {
  auto tar = dir / (program.stem().string() + ".tar");
  std::vector<std::string> args = {"image", "build", program.string(), ref, "-o", tar.string()};
  if (gzip) args.push_back("--gzip");
  auto r = run_wasmlet(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return tar;
}

// The same for the test program NAME (WASM_DIR/NAME.wasm, at /NAME.wasm in the image).
inline std::filesystem::path build_wasm_image(const TempDir& dir, const std::string& name, const std::string& ref,
                                              bool gzip = false) {
  return build_wasm_image_of(dir, std::string(WASM_DIR) + "/" + name + ".wasm", ref, gzip);
}

// An OCI layout tar of a static Linux program (linux/amd64), entrypoint /hello.
inline std::filesystem::path build_native_image(const TempDir& dir, const std::string& ref) {
  using nlohmann::json;
  using registry::sha256_digest;
  registry::TarWriter layer_tar;
  layer_tar.add_file("hello", read_text(NATIVE_HELLO), 0755);
  std::string layer = layer_tar.finish();
  json config = {{"architecture", "amd64"}, {"os", "linux"},
                 {"config", {{"Entrypoint", {"/hello"}}, {"Env", {"PATH=/"}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {sha256_digest(layer)}}}}};
  std::string config_bytes = config.dump();
  json manifest = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", sha256_digest(config_bytes)}, {"size", config_bytes.size()}}},
                   {"layers", {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", sha256_digest(layer)}, {"size", layer.size()}}}}};
  std::string manifest_bytes = manifest.dump();
  json index = {{"schemaVersion", 2},
                {"manifests", {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", sha256_digest(manifest_bytes)},
                                {"size", manifest_bytes.size()},
                                {"annotations", {{"org.opencontainers.image.ref.name", ref}, {"io.containerd.image.name", ref}}}}}}};
  registry::TarWriter tar;
  tar.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  tar.add_file("index.json", index.dump());
  for (const std::string* blob : {&layer, &config_bytes, &manifest_bytes})
    tar.add_file("blobs/sha256/" + sha256_digest(*blob).substr(7), *blob);
  auto path = dir / "native-hello.tar";
  std::ofstream(path, std::ios::binary) << tar.finish();
  return path;
}

// A process running in the background with stdout+stderr going to a file
// and stdin read from `input`.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, std::filesystem::path output,
                    const std::vector<std::string>& extra_env = {}, const std::string& input = "/dev/null")
      : output_(std::move(output)) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings(extra_env);
    for (char** e = environ; *e; ++e) env_strings.push_back(*e);
    std::vector<char*> env;
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~BackgroundProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  std::string output() const { return read_text(output_); }
  // Waits until the output contains `text`.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit) const {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // The exit status (128+N after signal N); -1 if it did not end in time.
  int wait(std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  void signal(int sig) const { ::kill(pid_, sig); }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::filesystem::path output_;
};

// Processes whose command line mentions `needle` (other than this test's own).
inline std::vector<std::string> processes_mentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos || std::stoi(pid) == getpid()) continue;
    std::string cmdline = read_text(entry.path() / "cmdline");
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find(needle) != std::string::npos) found.push_back(pid + ": " + cmdline);
  }
  return found;
}

// Mount points that mention `needle`.
inline std::vector<std::string> mounts_mentioning(const std::string& needle) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) found.push_back(line);
  return found;
}

// Removes the (empty) parent cgroup `name` the tests' containers were put
// under, in every hierarchy; one another test still uses stays.
inline void remove_parent_cgroup(const std::string& name) {
  for (const auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup")) ::rmdir((h.path() / name).c_str());
  ::rmdir((std::filesystem::path("/sys/fs/cgroup") / name).c_str());  // cgroup v2
}

}  // namespace wasmlet::testing
