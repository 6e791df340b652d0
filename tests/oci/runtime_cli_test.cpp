// wasmlet-oci's command line driven directly, as a shim would: create
// returns while the container process waits, start releases it, state,
// ps, kill by name, delete; errors as JSON lines in --log; Linux bundles go
// to the delegate runtime with the same arguments.
#include <sys/prctl.h>

#include <algorithm>
#include <optional>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "oci_test_support.h"

namespace wasmlet::testing {
namespace {

using namespace std::chrono_literals;

class RuntimeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "wasmlet-oci joins cgroups: run as root";
    // Like the shim and conmon: the container process becomes our child once create returns.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    setenv("WASMLET_OCI_CACHE_DIR", OCI_CACHE_DIR, 1);
    std::filesystem::create_directories(dir_ / "bundle/rootfs");
    std::filesystem::copy_file(std::string(WASM_DIR) + "/loop_forever.wasm", dir_ / "bundle/rootfs/app.wasm");
  }
  void TearDown() override {
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    remove_parent_cgroup("wasmlet-oci-test");
  }
  void write_config(const std::vector<std::string>& args, std::optional<std::string> cgroups_path = std::nullopt) {
    nlohmann::json config = {{"ociVersion", "1.0.2"},
                             {"process", {{"args", args}, {"env", {"PATH=/"}}, {"cwd", "/"}}},
                             {"root", {{"path", "rootfs"}}},
                             {"annotations", {{"example.com/note", "kept"}}},
                             {"linux", {{"cgroupsPath", cgroups_path.value_or("/wasmlet-oci-test/" + id_)}}}};
    std::ofstream(dir_ / "bundle/config.json") << config.dump();
  }
  ProcessResult oci(std::vector<std::string> args) {
    args.insert(args.begin(), {WASMLET_OCI_BIN, "--root", (dir_ / "root").string(), "--log", (dir_ / "log.json").string(),
                               "--log-format", "json"});
    return run_process(args, 60s);
  }
  // `create`: its stdio become the container's, which outlives it, so its
  // output goes to a file rather than a pipe read to the end.
  ProcessResult create(const std::string& pid_file) {
    BackgroundProcess p({WASMLET_OCI_BIN, "--root", (dir_ / "root").string(), "--log", (dir_ / "log.json").string(),
                         "create", "--bundle", (dir_ / "bundle").string(), "--pid-file", pid_file, id_},
                        dir_ / "create.out");
    ProcessResult r;
    r.exit_code = p.wait(60s);
    r.err = p.output();
    return r;
  }
  // Whether the container's output (create.out) shows `text` within `limit`.
  bool wait_for_output(const std::string& text, std::chrono::seconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (read_text(dir_ / "create.out").find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }
  nlohmann::json state() {
    auto r = oci({"state", id_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  TempDir dir_;
  std::string id_ = "cli-" + std::to_string(getpid());
};

TEST_F(RuntimeCli, CreateStartStateKillDelete) {
  write_config({"/app.wasm"});
  auto pid_file = dir_ / "init.pid";
  auto created = create(pid_file.string());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  pid_t pid = std::stoi(read_text(pid_file));
  auto s = state();
  EXPECT_EQ(s["status"], "created");
  EXPECT_EQ(s["pid"], pid);
  EXPECT_EQ(s["id"], id_);
  EXPECT_EQ(s["ociVersion"], "1.0.2");
  EXPECT_EQ(s["bundle"], (dir_ / "bundle").string());
  EXPECT_EQ(s["rootfs"], (dir_ / "bundle/rootfs").string());
  EXPECT_EQ(s["annotations"]["example.com/note"], "kept");
  EXPECT_TRUE(s.contains("created") && s.contains("owner"));
  auto ps = oci({"ps", "--format", "json", id_});
  EXPECT_EQ(nlohmann::json::parse(ps.out), nlohmann::json::array({pid})) << ps.out;
  // The process is in the container's cgroup.
  EXPECT_NE(read_text("/proc/" + std::to_string(pid) + "/cgroup").find("/wasmlet-oci-test/" + id_), std::string::npos);

  ASSERT_EQ(oci({"start", id_}).exit_code, 0);
  EXPECT_EQ(state()["status"], "running");
  EXPECT_NE(oci({"start", id_}).exit_code, 0) << "a running container cannot be started again";

  auto bad = oci({"kill", id_, "NOSUCHSIGNAL"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown signal 'NOSUCHSIGNAL'"), std::string::npos) << bad.err;
  // The last line of the log is this error, as a JSON object the shim reads `msg` from.
  std::string log = read_text(dir_ / "log.json");
  auto last = log.rfind('\n', log.size() - 2);
  auto log_line = nlohmann::json::parse(log.substr(last == std::string::npos ? 0 : last + 1));
  EXPECT_EQ(log_line["level"], "error");
  EXPECT_NE(log_line["msg"].get<std::string>().find("unknown signal"), std::string::npos);

  auto kill_start = std::chrono::steady_clock::now();
  ASSERT_EQ(oci({"kill", id_, "SIGTERM"}).exit_code, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_LT(std::chrono::steady_clock::now() - kill_start, 3s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 143) << status;
  EXPECT_EQ(state()["status"], "stopped");
  ASSERT_EQ(oci({"delete", id_}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "root" / id_));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory/wasmlet-oci-test/" + id_));
}

// loop_forever is small enough to be compiled before the container starts
// (Tier::Auto): its loop runs as native code, which the engine interrupts
// with SIGURG to the guest's thread. The container process must leave
// SIGURG to the engine: blocked, SIGTERM ended the container only at the
// 2 s grace period's _exit, not by interrupting the guest.
TEST_F(RuntimeCli, SigtermInterruptsANativeCodeGuestAtOnce) {
  write_config({"/app.wasm"});
  auto pid_file = dir_ / "init.pid";
  ASSERT_EQ(create(pid_file.string()).exit_code, 0);
  pid_t pid = std::stoi(read_text(pid_file));
  ASSERT_EQ(oci({"start", id_}).exit_code, 0);
  ASSERT_TRUE(wait_for_output("looping")) << read_text(dir_ / "create.out");
  EXPECT_EQ(read_text(dir_ / "log.json").find("running in the interpreter"), std::string::npos)
      << "the guest must run as native code: " << read_text(dir_ / "log.json");
  std::this_thread::sleep_for(100ms);  // well inside its loop
  auto kill_start = std::chrono::steady_clock::now();
  ASSERT_EQ(oci({"kill", id_, "TERM"}).exit_code, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_LT(std::chrono::steady_clock::now() - kill_start, 1s) << "ended by the grace period, not by the interrupt";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 143) << status;
  ASSERT_EQ(oci({"delete", id_}).exit_code, 0);
}

// A cgroupsPath naming the hierarchy's root made the container's cgroup the
// root cgroup: `ps` listed every process of the host, and `kill --all` or
// `delete --force` would have SIGKILLed them all. create refuses it, naming
// the container and the value; "." components count as nothing.
TEST_F(RuntimeCli, ACgroupsPathOfTheHierarchyRootIsRefused) {
  for (const std::string path : {"/", "/./", ".", "//", "./."}) {
    write_config({"/app.wasm"}, path);
    auto created = create((dir_ / "init.pid").string());
    EXPECT_EQ(created.exit_code, 1) << path << ": " << created.err;
    EXPECT_NE(created.err.find("container " + id_ + ": linux.cgroupsPath '" + path + "' names the root of the cgroup hierarchy"),
              std::string::npos)
        << created.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "root" / id_)) << path;
    if (std::filesystem::exists(dir_ / "init.pid")) {  // created after all: end only that process (never kill --all)
      ADD_FAILURE() << path << " was accepted";
      pid_t pid = std::stoi(read_text(dir_ / "init.pid"));
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      std::filesystem::remove_all(dir_ / "root" / id_);
      std::filesystem::remove(dir_ / "init.pid");
    }
  }
  // "." inside a path is nothing either: the container's own cgroup.
  write_config({"/app.wasm"}, "/wasmlet-oci-test/./" + id_ + "/.");
  auto pid_file = dir_ / "init.pid";
  auto created = create(pid_file.string());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  pid_t pid = std::stoi(read_text(pid_file));
  EXPECT_NE(read_text("/proc/" + std::to_string(pid) + "/cgroup").find(":/wasmlet-oci-test/" + id_ + "\n"), std::string::npos);
  auto ps = oci({"ps", "--format", "json", id_});
  EXPECT_EQ(nlohmann::json::parse(ps.out), nlohmann::json::array({pid})) << ps.out;
  ASSERT_EQ(oci({"delete", "--force", id_}).exit_code, 0);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
}

// The state letter of /proc/PID/stat ('R', 'S', 'T' when stopped, ...).
char process_state(pid_t pid) {
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

// SIGTSTP (Ctrl-Z on a terminal), SIGTTIN and SIGTTOU stop a process by
// default; the container treated them as fatal and exited 148. They stop it
// now, and SIGCONT lets the guest go on where it was.
TEST_F(RuntimeCli, SigtstpStopsTheContainerAndSigcontResumesIt) {
  write_config({"/app.wasm"});
  auto pid_file = dir_ / "init.pid";
  ASSERT_EQ(create(pid_file.string()).exit_code, 0);
  pid_t pid = std::stoi(read_text(pid_file));
  ASSERT_EQ(oci({"start", id_}).exit_code, 0);
  wait_for_output("looping");
  std::chrono::steady_clock::time_point deadline;
  for (const char* sig : {"TSTP", "TTIN", "TTOU"}) {
    ASSERT_EQ(oci({"kill", id_, sig}).exit_code, 0) << sig;
    deadline = std::chrono::steady_clock::now() + 5s;
    while (process_state(pid) != 'T' && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) FAIL() << sig << " ended the container: " << status;
    EXPECT_EQ(process_state(pid), 'T') << sig;
    ASSERT_EQ(oci({"kill", id_, "CONT"}).exit_code, 0);
    deadline = std::chrono::steady_clock::now() + 5s;
    while (process_state(pid) == 'T' && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(100ms);
    EXPECT_NE(process_state(pid), 'T') << sig;
    EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0) << sig << ": " << status;
    EXPECT_EQ(state()["status"], "running");
  }
  ASSERT_EQ(oci({"kill", id_, "TERM"}).exit_code, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 143) << status;
  ASSERT_EQ(oci({"delete", id_}).exit_code, 0);
}

// config.json may name a cgroup that exists already and holds other
// processes: ps, kill --all and delete act on the cgroups create made only,
// so those processes are neither listed, killed nor moved.
TEST_F(RuntimeCli, AnExistingCgroupsOtherProcessesAreLeftAlone) {
  // A bystander in wasmlet-oci-test/shared-ID of every hierarchy.
  pid_t bystander = fork();
  ASSERT_GE(bystander, 0);
  if (bystander == 0) {
    for (;;) pause();
  }
  std::string shared = "wasmlet-oci-test/shared-" + id_;
  std::vector<std::filesystem::path> dirs;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string skip, mount_point;
    fields >> skip >> skip >> skip >> skip >> mount_point;
    auto dash = line.find(" - cgroup");
    if (dash == std::string::npos) continue;
    std::filesystem::path root(mount_point);
    std::filesystem::path parent = root / "wasmlet-oci-test", dir = root / shared;
    for (const auto& level : {parent, dir}) {
      std::filesystem::create_directories(level);
      for (const char* file : {"cpuset.cpus", "cpuset.mems"})
        if (std::filesystem::exists(level / file) && read_text(level / file).find_first_not_of("\n") == std::string::npos)
          std::ofstream(level / file) << read_text(level.parent_path() / file);
    }
    std::ofstream(dir / "cgroup.procs") << bystander;
    dirs.push_back(dir);
  }
  ASSERT_FALSE(dirs.empty());
  struct Cleanup {
    pid_t pid;
    std::vector<std::filesystem::path> dirs;
    ~Cleanup() {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      for (const auto& d : dirs) ::rmdir(d.c_str());
    }
  } cleanup{bystander, dirs};
  ASSERT_NE(read_text("/proc/" + std::to_string(bystander) + "/cgroup").find(shared), std::string::npos);

  write_config({"/app.wasm"}, "/" + shared);
  auto pid_file = dir_ / "init.pid";
  ASSERT_EQ(create(pid_file.string()).exit_code, 0);
  pid_t pid = std::stoi(read_text(pid_file));
  EXPECT_NE(read_text("/proc/" + std::to_string(pid) + "/cgroup").find(shared), std::string::npos);
  auto ps = oci({"ps", "--format", "json", id_});
  EXPECT_EQ(nlohmann::json::parse(ps.out), nlohmann::json::array({pid})) << ps.out;
  ASSERT_EQ(oci({"kill", "--all", id_, "9"}).exit_code, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_EQ(waitpid(bystander, &status, WNOHANG), 0) << "kill --all killed a process the container does not own";
  ASSERT_EQ(oci({"delete", "--force", id_}).exit_code, 0);
  EXPECT_EQ(waitpid(bystander, &status, WNOHANG), 0) << "delete killed a process the container does not own";
  for (const auto& d : dirs) EXPECT_TRUE(std::filesystem::exists(d)) << d << ": delete removed a cgroup create did not make";
}

// A record written before such cgroupsPaths were refused (no
// own_cgroup_dirs, cgroup_dirs the hierarchies' roots) does not make ps
// list, nor kill --all or delete kill, the host's processes. Only ps and a
// delete of the stopped container run here: were the guard missing, they
// list the host's processes or fail to remove a root, and kill nothing.
TEST_F(RuntimeCli, ARecordNamingTheHierarchyRootsListsOnlyItsProcess) {
  write_config({"/app.wasm"});
  auto pid_file = dir_ / "init.pid";
  ASSERT_EQ(create(pid_file.string()).exit_code, 0);
  pid_t pid = std::stoi(read_text(pid_file));
  auto record_file = dir_ / "root" / id_ / "wasmlet.json";
  auto record = nlohmann::json::parse(read_text(record_file));
  record.erase("own_cgroup_dirs");
  for (auto& d : record["cgroup_dirs"]) d = std::filesystem::path(d.get<std::string>()).parent_path().parent_path().string() + "/";
  std::ofstream(record_file) << record.dump();
  auto ps = oci({"ps", "--format", "json", id_});
  EXPECT_EQ(nlohmann::json::parse(ps.out), nlohmann::json::array({pid})) << ps.out.substr(0, 200);
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(oci({"delete", id_}).exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "delete tried to remove the hierarchies' roots";
  for (const auto& d : record["cgroup_dirs"]) ::rmdir((d.get<std::string>() + "wasmlet-oci-test/" + id_).c_str());
}

TEST_F(RuntimeCli, KillBeforeStartEndsTheWaitingProcess) {
  write_config({"/app.wasm"});
  auto pid_file = dir_ / "init.pid";
  ASSERT_EQ(create(pid_file.string()).exit_code, 0);
  pid_t pid = std::stoi(read_text(pid_file));
  ASSERT_EQ(oci({"kill", "--all", id_, "9"}).exit_code, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  ASSERT_EQ(oci({"delete", "--force", id_}).exit_code, 0);
  EXPECT_EQ(oci({"delete", "--force", id_}).exit_code, 0) << "deleting a container that is gone succeeds";
}

// As with runc, delete without --force removes a created container (one
// whose process waits for start), killing that process; containerd deletes
// a task that never started that way. A running container needs --force.
TEST_F(RuntimeCli, DeleteRemovesACreatedContainerWithoutForce) {
  write_config({"/app.wasm"});
  auto pid_file = dir_ / "init.pid";
  ASSERT_EQ(create(pid_file.string()).exit_code, 0);
  pid_t pid = std::stoi(read_text(pid_file));
  auto deleted = oci({"delete", id_});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  if (deleted.exit_code != 0) ::kill(pid, SIGKILL);  // not to wait for it below for ever
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "root" / id_));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory/wasmlet-oci-test/" + id_));

  ASSERT_EQ(create(pid_file.string()).exit_code, 0);
  pid = std::stoi(read_text(pid_file));
  ASSERT_EQ(oci({"start", id_}).exit_code, 0);
  auto refused = oci({"delete", id_});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("container " + id_ + " is running: stop it first or use delete --force"), std::string::npos)
      << refused.err;
  EXPECT_EQ(state()["status"], "running");
  ASSERT_EQ(oci({"delete", "--force", id_}).exit_code, 0);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
}

// The container process reads and compiles its module only once it is in
// the container's cgroups, so that a huge module counts against the
// container's memory, not against the shim's or conmon's: the module read
// (and copied) by create's process before was charged to the caller.
TEST_F(RuntimeCli, LoadingTheModuleCountsAgainstTheContainersCgroup) {
  const std::filesystem::path usage = "/sys/fs/cgroup/memory/wasmlet-oci-test/" + id_ + "/memory.max_usage_in_bytes";
  if (!std::filesystem::exists("/sys/fs/cgroup/memory")) GTEST_SKIP() << "no cgroup v1 memory controller here";
  // loop_forever with a 32 MiB custom section at its end (section 0, name "pad").
  constexpr uint32_t kPad = 32u << 20;
  std::string module = read_text(dir_ / "bundle/rootfs/app.wasm");
  std::string section = std::string(1, '\x03') + "pad" + std::string(kPad, '\0');
  module += '\0';
  for (uint32_t n = uint32_t(section.size());;) {  // the section's size, LEB128
    const uint8_t low = n & 0x7f;
    n >>= 7;
    module += char(n ? low | 0x80 : low);
    if (!n) break;
  }
  module += section;
  std::ofstream(dir_ / "bundle/rootfs/app.wasm", std::ios::binary | std::ios::trunc) << module;
  write_config({"/app.wasm"});
  auto pid_file = dir_ / "init.pid";
  auto created = create(pid_file.string());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  pid_t pid = std::stoi(read_text(pid_file));
  const uint64_t peak = std::stoull(read_text(usage));
  EXPECT_GE(peak, uint64_t{kPad}) << "the container's cgroup was charged " << peak << " bytes for a " << module.size()
                                  << "-byte module";
  ASSERT_EQ(oci({"delete", "--force", id_}).exit_code, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
}

TEST_F(RuntimeCli, HandsLinuxBundlesToTheDelegateWithTheSameArguments) {
  write_config({"/bin/sh", "-c", "true"});
  auto recorder = dir_ / "fake-runc";
  std::ofstream(recorder) << "#!/bin/sh\necho \"$@\" > " << (dir_ / "delegated").string() << "\n";
  std::filesystem::permissions(recorder, std::filesystem::perms::owner_all);
  setenv("WASMLET_OCI_DELEGATE", recorder.c_str(), 1);
  auto r = create("p");
  unsetenv("WASMLET_OCI_DELEGATE");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(dir_ / "delegated"), "--root " + (dir_ / "root").string() + " --log " + (dir_ / "log.json").string() +
                                               " create --bundle " + (dir_ / "bundle").string() + " --pid-file p " + id_ + "\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "root" / id_));
}

// The program is looked up as if the rootfs were "/" (wasi_sys::open_in_root):
// an absolute symlink inside it resolves inside it, and a link climbing out
// of it finds nothing, so a wasm file next to the bundle is never run as the
// container's program (the bundle goes to the delegate as a Linux one).
TEST_F(RuntimeCli, FindsTheProgramInsideTheRootfsOnly) {
  std::filesystem::create_directories(dir_ / "bundle/rootfs/bin");
  std::filesystem::create_symlink("/app.wasm", dir_ / "bundle/rootfs/bin/app");
  std::filesystem::copy_file(std::string(WASM_DIR) + "/loop_forever.wasm", dir_ / "outside.wasm");
  std::filesystem::create_symlink("../../../outside.wasm", dir_ / "bundle/rootfs/bin/out");
  auto recorder = dir_ / "fake-runc";
  std::ofstream(recorder) << "#!/bin/sh\necho \"$@\" > " << (dir_ / "delegated").string() << "\n";
  std::filesystem::permissions(recorder, std::filesystem::perms::owner_all);
  setenv("WASMLET_OCI_DELEGATE", recorder.c_str(), 1);
  struct Unset {
    ~Unset() { unsetenv("WASMLET_OCI_DELEGATE"); }
  } unset;

  write_config({"/bin/app"});
  auto pid_file = dir_ / "init.pid";
  auto created = create(pid_file.string());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "delegated")) << "/bin/app -> /app.wasm is the rootfs's wasm program";
  EXPECT_EQ(state()["status"], "created");
  pid_t pid = std::stoi(read_text(pid_file));
  ASSERT_EQ(oci({"kill", "--all", id_, "9"}).exit_code, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(oci({"delete", "--force", id_}).exit_code, 0);

  write_config({"/bin/out"});
  EXPECT_EQ(create("p").exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "delegated")) << "../../../outside.wasm must not be reached from the rootfs";
  EXPECT_FALSE(std::filesystem::exists(dir_ / "root" / id_));
}

// A record that cannot be read (emptied by a crash) makes plain delete fail
// with a message naming it, and delete --force remove it: containerd must
// never be left retrying a container it cannot delete.
TEST_F(RuntimeCli, DeleteForceRemovesADamagedRecord) {
  write_config({"/app.wasm"});
  auto pid_file = dir_ / "init.pid";
  ASSERT_EQ(create(pid_file.string()).exit_code, 0);
  pid_t pid = std::stoi(read_text(pid_file));
  std::ofstream(dir_ / "root" / id_ / "wasmlet.json", std::ios::trunc);  // emptied
  auto plain = oci({"delete", id_});
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_NE(plain.err.find("damaged"), std::string::npos) << plain.err;
  auto forced = oci({"delete", "--force", id_});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("deleting its record anyway"), std::string::npos) << forced.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "root" / id_));
  ::kill(pid, SIGKILL);  // the record no longer says which process it was
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
}

// "delete --force .." removed ROOT/.. when it held a wasmlet.json: an id
// that is no directory name under ROOT is never a container of ours.
TEST_F(RuntimeCli, DeleteForceOfDotDotLeavesTheParentOfTheRootAlone) {
  std::filesystem::create_directories(dir_ / "root/some-container");
  std::ofstream(dir_ / "wasmlet.json") << "junk";
  std::ofstream(dir_ / "canary.txt") << "canary";
  auto deleted = oci({"delete", "--force", ".."});
  EXPECT_TRUE(std::filesystem::exists(dir_ / "canary.txt")) << deleted.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "root/some-container")) << deleted.err;
}

// config.json comes from whoever wrote the bundle: nesting 300,000 deep is
// refused with an error naming the file, not a stack overflow while copying it.
TEST_F(RuntimeCli, ADeeplyNestedConfigIsRefused) {
  std::ofstream(dir_ / "bundle/config.json")
      << R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["/app.wasm"],"cwd":"/"},"mounts":)"
      << std::string(300000, '[') << std::string(300000, ']') << "}";
  auto created = create((dir_ / "init.pid").string());
  EXPECT_EQ(created.exit_code, 1) << created.err;
  EXPECT_NE(created.err.find((dir_ / "bundle/config.json").string() + " nests JSON more than 64 levels deep"), std::string::npos)
      << created.err;
}

// A FIFO (or device node) where the program should be is not a wasm module:
// it is looked at without waiting for a writer, and the bundle goes to the
// delegate as a Linux one.
TEST_F(RuntimeCli, AFifoAsTheProgramIsNotWaitedOn) {
  std::filesystem::create_directories(dir_ / "bundle/rootfs/bin");
  ASSERT_EQ(mkfifo((dir_ / "bundle/rootfs/bin/app").c_str(), 0644), 0);
  auto recorder = dir_ / "fake-runc";
  std::ofstream(recorder) << "#!/bin/sh\necho \"$@\" > " << (dir_ / "delegated").string() << "\n";
  std::filesystem::permissions(recorder, std::filesystem::perms::owner_all);
  setenv("WASMLET_OCI_DELEGATE", recorder.c_str(), 1);
  write_config({"/bin/app"});
  const auto start = std::chrono::steady_clock::now();
  auto r = create("p");
  unsetenv("WASMLET_OCI_DELEGATE");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "create waited on the FIFO";
  EXPECT_TRUE(std::filesystem::exists(dir_ / "delegated"));
}

// An error message may hold bytes that are not UTF-8 (a bundle path, an id
// as given): the JSON log's dump threw from inside main's catch, which
// ended in std::terminate (exit 134) with no line logged. Such bytes become
// U+FFFD in the JSON format; the text format escapes them and control bytes.
TEST_F(RuntimeCli, ErrorsWithBytesThatAreNotUtf8AreLogged) {
  write_config({"/app.wasm"});
  auto json_log = dir_ / "log.json";
  auto r = run_process({WASMLET_OCI_BIN, "--root", (dir_ / "root").string(), "--log", json_log.string(), "--log-format", "json",
                        "create", "--bundle", (dir_ / "no\xff-such").string(), "c1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::string log = read_text(json_log);
  ASSERT_FALSE(log.empty()) << r.err;
  auto line = nlohmann::json::parse(log.substr(0, log.find('\n')));
  EXPECT_EQ(line["level"], "error");
  EXPECT_NE(line["msg"].get<std::string>().find("no\xef\xbf\xbd-such"), std::string::npos) << log;

  auto text_log = dir_ / "log.txt";
  r = run_process({WASMLET_OCI_BIN, "--root", (dir_ / "root").string(), "--log", text_log.string(), "--log-format", "text",
                   "create", "--bundle", (dir_ / "bundle").string(), "c\xff\x1b[2J\n\"x"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  log = read_text(text_log);
  EXPECT_NE(log.find("level=error msg=\"invalid container ID 'c\\xff\\x1b[2J\\n\\\"x'"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << log;
  EXPECT_EQ(log.find('\xff'), std::string::npos) << log;
  r = run_process({WASMLET_OCI_BIN, "--root", (dir_ / "root").string(), "--log", json_log.string(), "--log-format", "json",
                   "create", "--bundle", (dir_ / "bundle").string(), "\xc3\xa9t\xe9"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  log = read_text(json_log);
  auto last = nlohmann::json::parse(log.substr(log.rfind('\n', log.size() - 2) + 1));
  EXPECT_EQ(last["msg"].get<std::string>().find("invalid container ID '\xc3\xa9t\xef\xbf\xbd'"), 0u) << log;
}

TEST_F(RuntimeCli, VersionAndFeatures) {
  auto version = oci({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("wasmlet-oci version"), std::string::npos);
  EXPECT_NE(version.out.find("spec: 1.0.2"), std::string::npos);
  auto features = oci({"features"});
  ASSERT_EQ(features.exit_code, 0);
  auto j = nlohmann::json::parse(features.out);
  EXPECT_EQ(j["ociVersionMin"], "1.0.0");
  EXPECT_TRUE(j["linux"]["cgroup"]["v1"].get<bool>());
}

}  // namespace
}  // namespace wasmlet::testing
