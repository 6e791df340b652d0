#include "oci/state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/file_bytes.h"
#include "wasmlet/error.h"

namespace wasmlet::oci {

namespace {

constexpr const char* kStateFile = "wasmlet.json";

// A name of one directory under ROOT: never "..", which is ROOT's parent.
bool valid_id(const std::string& id) {
  return !id.empty() && id != "." && id != ".." && id.size() <= 1024 &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") == std::string::npos;
}

void check_id(const std::string& id) {
  if (!valid_id(id)) throw Error(fmt::format("invalid container ID '{}': use letters, digits, '_', '+', '-' and '.'", id));
}

}  // namespace

const char* to_string(Status status) {
  switch (status) {
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Stopped: return "stopped";
  }
  return "unknown";
}

bool StateStore::owns(const std::string& id) const {
  std::error_code ec;
  // An invalid id (such as "..", whose record would be ROOT/../wasmlet.json) is no container of ours.
  return valid_id(id) && std::filesystem::exists(dir(id) / kStateFile, ec);
}

void StateStore::reserve(const std::string& id) const {
  check_id(id);
  std::filesystem::create_directories(root_);
  std::error_code ec;
  if (!std::filesystem::create_directory(dir(id), ec) || ec)
    throw Error(fmt::format("container {} already exists (or {} cannot be created: {})", id, dir(id).string(),
                            ec ? ec.message() : "it exists"));
}

void StateStore::save(const ContainerState& s) const {
  nlohmann::json j{{"id", s.id},           {"pid", s.pid},       {"pid_start_time", s.pid_start_time},
                   {"bundle", s.bundle},   {"rootfs", s.rootfs}, {"created", s.created},
                   {"owner", s.owner},     {"annotations", s.annotations},
                   {"cgroup_dirs", s.cgroup_dirs}, {"own_cgroup_dirs", s.own_cgroup_dirs}};
  // Written beside and renamed: a concurrent `state` never reads half a file.
  // Synced before the rename, so that a crash leaves the old file or the new
  // one, never an empty one (ext4 may commit the rename first).
  auto tmp = dir(s.id) / (std::string(kStateFile) + ".tmp");
  const std::string text = j.dump(2);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const bool ok = fd >= 0 && util::write_all_and_sync(fd, text);
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (!ok) throw Error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(error)));
  std::filesystem::rename(tmp, dir(s.id) / kStateFile);
}

ContainerState StateStore::load(const std::string& id) const {
  if (!owns(id)) throw Error(fmt::format("container {} does not exist", id));
  auto file = dir(id) / kStateFile;
  try {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(file));
    ContainerState s;
    s.id = j.at("id");
    s.pid = j.at("pid");
    s.pid_start_time = j.at("pid_start_time");
    s.bundle = j.at("bundle");
    s.rootfs = j.at("rootfs");
    s.created = j.at("created");
    s.owner = j.value("owner", "");
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.cgroup_dirs = j.value("cgroup_dirs", std::vector<std::string>{});
    // A record written before own_cgroup_dirs existed: all of them, as then.
    s.own_cgroup_dirs = j.value("own_cgroup_dirs", s.cgroup_dirs);
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("container {}: its state file {} is damaged: {}", id, file.string(), e.what()));
  }
}

void StateStore::remove(const std::string& id) const {
  std::error_code ec;
  std::filesystem::remove_all(dir(id), ec);
}

Status StateStore::status(const ContainerState& s) const {
  auto start = process_start_time(s.pid);
  if (!start || *start != s.pid_start_time) return Status::Stopped;
  std::error_code ec;
  return std::filesystem::exists(fifo(s.id), ec) ? Status::Created : Status::Running;
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // "pid (comm) S ppid ..." — comm may hold spaces and parentheses: parse after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  char state = 0;
  rest >> state;
  if (state == 'Z' || state == 'X') return std::nullopt;
  // Fields 4..21 lie between the state (3) and the start time (22).
  for (int i = 4; i <= 21; ++i) rest >> field;
  unsigned long long start = 0;
  if (!(rest >> start)) return std::nullopt;
  return start;
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::floor<std::chrono::seconds>(now);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09d}Z", secs, nanos);
}

}  // namespace wasmlet::oci
