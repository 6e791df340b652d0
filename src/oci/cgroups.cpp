#include "oci/cgroups.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::oci {

namespace fs = std::filesystem;

namespace {

struct Hierarchy {
  std::string mount_point;
  bool unified = false;  // cgroup2
};

// Every cgroup hierarchy mounted here, from /proc/self/mountinfo.
std::vector<Hierarchy> hierarchies() {
  std::vector<Hierarchy> out;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    // "id parent major:minor root mount-point options ... - fstype source super-options"
    std::istringstream fields(line);
    std::string skip, mount_point;
    fields >> skip >> skip >> skip >> skip >> mount_point;
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype == "cgroup" || fstype == "cgroup2") out.push_back({mount_point, fstype == "cgroup2"});
  }
  return out;
}

std::string relative_path(const std::string& cgroups_path, const std::string& id, bool systemd) {
  if (cgroups_path.empty()) return "/wasmlet-oci/" + id;
  if (systemd) {
    // "system.slice:cri-containerd:ID" -> /system.slice/cri-containerd-ID.scope
    auto first = cgroups_path.find(':'), second = cgroups_path.rfind(':');
    if (first != std::string::npos && second != first) {
      std::string slice = cgroups_path.substr(0, first), prefix = cgroups_path.substr(first + 1, second - first - 1),
                  name = cgroups_path.substr(second + 1);
      return fmt::format("/{}/{}-{}.scope", slice.empty() ? "system.slice" : slice, prefix, name);
    }
  }
  return cgroups_path.front() == '/' ? cgroups_path : "/" + cgroups_path;
}

// "/" + the path's components without empty ones and "."; throws Error for
// "..", and for a path naming the hierarchy's root ("/", ".", "/./"): the
// root cgroup holds every process of the host, which `ps`, `kill --all` and
// `delete` would then list and kill.
std::string normalised(const std::string& rel, const std::string& cgroups_path, const std::string& id) {
  std::string out;
  for (size_t begin = 0; begin <= rel.size();) {
    size_t end = rel.find('/', begin);
    if (end == std::string::npos) end = rel.size();
    std::string part = rel.substr(begin, end - begin);
    begin = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") throw Error(fmt::format("cgroupsPath '{}' must not contain '..'", cgroups_path));
    out += "/" + part;
  }
  if (out.empty())
    throw Error(fmt::format("container {}: linux.cgroupsPath '{}' names the root of the cgroup hierarchy, which holds "
                            "every process of the host: give the container a cgroup of its own (such as /wasmlet-oci/{})",
                            id, cgroups_path, id));
  return out;
}

void write_file(const fs::path& file, const std::string& value) {
  std::ofstream out(file);
  out << value;
  out.flush();
  if (!out) throw Error(fmt::format("cannot write '{}' to {}: {}", value, file.string(), std::strerror(errno)));
}

// cgroup v2 needs the controllers enabled in every ancestor's subtree_control
// (from the hierarchy's root down).
void enable_controllers(const fs::path& dir) {
  std::vector<fs::path> ancestors;
  for (fs::path p = dir.parent_path(); fs::exists(p / "cgroup.controllers") && p != p.parent_path(); p = p.parent_path())
    ancestors.insert(ancestors.begin(), p);
  for (const auto& p : ancestors)
    for (const char* c : {"+memory", "+cpu", "+pids"}) {
      std::ofstream out(p / "cgroup.subtree_control");
      out << c;  // a controller the kernel does not offer is left off
    }
}

// A hierarchy's mount point: the root cgroup, which holds every process of
// the host (a record written before such cgroupsPaths were refused).
bool hierarchy_root(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  for (const auto& h : hierarchies())
    if (p == fs::path(h.mount_point).lexically_normal()) return true;
  return false;
}

std::string read_trimmed(const fs::path& file) {
  std::ifstream in(file);
  std::string value;
  std::getline(in, value);
  return value;
}

// Creates the directory and its missing parents. A new cgroup v1 cpuset
// starts with no CPUs and memory nodes, and a process cannot join it until
// they are set: each new level copies its parent's.
void create_cgroup(const fs::path& dir) {
  std::vector<fs::path> missing;
  for (fs::path p = dir; !fs::exists(p); p = p.parent_path()) missing.insert(missing.begin(), p);
  for (const auto& p : missing) {
    std::error_code ec;
    fs::create_directory(p, ec);
    if (ec) throw Error(fmt::format("cannot create the cgroup {}: {}", p.string(), ec.message()));
  }
  if (!fs::exists(dir / "cpuset.cpus")) return;
  // Also levels an earlier container left empty: top-down from the root.
  std::vector<fs::path> levels;
  for (fs::path p = dir; fs::exists(p.parent_path() / "cpuset.cpus"); p = p.parent_path()) levels.insert(levels.begin(), p);
  for (const auto& p : levels)
    for (const char* file : {"cpuset.cpus", "cpuset.mems"})
      if (read_trimmed(p / file).empty()) write_file(p / file, read_trimmed(p.parent_path() / file));
}

void apply_limits(const fs::path& dir, const Resources& r) {
  bool v2 = fs::exists(dir / "cgroup.controllers");
  auto set = [&](const char* name, const std::string& value) {
    if (fs::exists(dir / name)) write_file(dir / name, value);
  };
  if (v2) {
    if (r.memory_limit) set("memory.max", *r.memory_limit < 0 ? "max" : std::to_string(*r.memory_limit));
    if (r.cpu_shares && *r.cpu_shares >= 2)
      set("cpu.weight", std::to_string(1 + ((std::min<uint64_t>(*r.cpu_shares, 262144) - 2) * 9999) / 262142));
    if (r.cpu_quota && *r.cpu_quota > 0)
      set("cpu.max", fmt::format("{} {}", *r.cpu_quota, r.cpu_period.value_or(100000)));
    if (r.pids_limit) set("pids.max", *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit));
    return;
  }
  if (r.memory_limit) set("memory.limit_in_bytes", std::to_string(*r.memory_limit));
  if (r.cpu_shares) set("cpu.shares", std::to_string(*r.cpu_shares));
  if (r.cpu_period) set("cpu.cfs_period_us", std::to_string(*r.cpu_period));
  if (r.cpu_quota) set("cpu.cfs_quota_us", std::to_string(*r.cpu_quota));
  if (r.pids_limit) set("pids.max", *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit));
}

}  // namespace

std::vector<std::string> cgroup_dirs(const std::string& cgroups_path, const std::string& id, bool systemd) {
  std::string rel = normalised(relative_path(cgroups_path, id, systemd), cgroups_path, id);
  std::vector<std::string> dirs;
  for (const auto& h : hierarchies()) dirs.push_back((fs::path(h.mount_point) / rel.substr(1)).string());
  return dirs;
}

std::vector<std::string> missing_cgroups(const std::vector<std::string>& dirs) {
  std::vector<std::string> missing;
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::exists(d, ec)) missing.push_back(d);
  }
  return missing;
}

void join_cgroups(const std::vector<std::string>& dirs, const Resources& resources, pid_t pid) {
  for (const auto& d : dirs) {
    fs::path dir(d);
    create_cgroup(dir);
    if (fs::exists(dir / "cgroup.controllers")) enable_controllers(dir);
    apply_limits(dir, resources);
    write_file(dir / "cgroup.procs", std::to_string(pid));
  }
}

std::vector<pid_t> cgroup_pids(const std::vector<std::string>& dirs) {
  std::vector<pid_t> pids;
  for (const auto& d : dirs) {
    if (hierarchy_root(d)) continue;
    std::ifstream in(fs::path(d) / "cgroup.procs");
    if (!in) continue;
    for (pid_t p; in >> p;) pids.push_back(p);
    break;  // every hierarchy holds the same processes
  }
  return pids;
}

void remove_cgroups(const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    if (hierarchy_root(d)) continue;
    // The last process may still be leaving (a zombie the shim has not reaped): retry briefly.
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (::rmdir(d.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace wasmlet::oci
