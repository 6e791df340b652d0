// Where wasmlet-oci keeps what it knows about its containers between
// invocations: ROOT/ID/wasmlet.json (and ROOT/ID/exec.fifo until `start`).
// The file name differs from runc's state.json, so a directory without it is
// not ours: commands for such an ID go to the real runc.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wasmlet::oci {

enum class Status { Created, Running, Stopped };
const char* to_string(Status status);

struct ContainerState {
  std::string id;
  pid_t pid = 0;
  unsigned long long pid_start_time = 0;  // /proc/PID/stat field 22: tells a reused pid apart
  std::string bundle, rootfs, created, owner;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> cgroup_dirs;  // the directories the process joined
  // Those of cgroup_dirs that create made: kill --all, ps and delete look
  // for processes in these only, and remove only these. A cgroup that
  // existed before (config.json may name any) may hold other processes.
  std::vector<std::string> own_cgroup_dirs;
};

class StateStore {
 public:
  explicit StateStore(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }

  std::filesystem::path dir(const std::string& id) const { return root_ / id; }
  std::filesystem::path fifo(const std::string& id) const { return dir(id) / "exec.fifo"; }
  bool owns(const std::string& id) const;  // a wasm container of ours

  // Creates ROOT/ID; throws Error if the ID is invalid or already in use.
  void reserve(const std::string& id) const;
  void save(const ContainerState& state) const;
  // Throws Error ("container ID does not exist") if it is not ours.
  ContainerState load(const std::string& id) const;
  void remove(const std::string& id) const;

  // created (waiting for start), running, or stopped (gone, or a zombie).
  Status status(const ContainerState& state) const;

 private:
  std::filesystem::path root_;
};

// The start time of a live, non-zombie process; nullopt if there is none.
std::optional<unsigned long long> process_start_time(pid_t pid);

// RFC 3339 with nanoseconds, UTC, as runc writes `created`.
std::string now_rfc3339();

}  // namespace wasmlet::oci
