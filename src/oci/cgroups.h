// The container's cgroup: the process joins cgroupsPath in every hierarchy
// (cgroup v1: one directory per controller; v2: one unified directory), and
// linux.resources become the cgroup's limits, so that accounting, limits and
// `ctr task metrics` / kubelet stats see the wasm guest like any container.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "oci/bundle.h"

namespace wasmlet::oci {

// The directories of cgroupsPath in each mounted hierarchy. `systemd` (the
// --systemd-cgroup flag): cgroupsPath is "slice:prefix:name" and maps to
// /slice/prefix-name.scope, where systemd would have put it.
std::vector<std::string> cgroup_dirs(const std::string& cgroups_path, const std::string& id, bool systemd);

// Those of `dirs` that do not exist yet: the ones join_cgroups will create.
std::vector<std::string> missing_cgroups(const std::vector<std::string>& dirs);

// Creates the directories, applies the limits and moves `pid` into them.
// Throws Error naming the file that could not be written.
void join_cgroups(const std::vector<std::string>& dirs, const Resources& resources, pid_t pid);

// The pids in the container's cgroup (empty if it is gone). Neither this nor
// remove_cgroups touches a hierarchy's root, whatever a record says.
std::vector<pid_t> cgroup_pids(const std::vector<std::string>& dirs);

// Removes the directories (once empty); missing ones are fine.
void remove_cgroups(const std::vector<std::string>& dirs);

}  // namespace wasmlet::oci
