// The container process of a wasm container: forked by `create`, it loads
// the module (native code from the node-wide cache), reports that it is
// ready, blocks on the exec fifo until `start` opens it, then runs the guest
// and exits with the guest's status (its exit code; 128+N when signal N
// stopped it; 134 after a trap). It is the process the shim waits for.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "oci/bundle.h"
#include "oci/console_socket.h"
#include "oci/wasm_detect.h"

namespace wasmlet::oci {

struct ContainerLaunch {
  std::string id;
  BundleConfig config;
  WasmEntry entry;
  std::filesystem::path exec_fifo;
  std::filesystem::path cache_dir;  // the AOT cache shared by every container on the node
  std::optional<Pty> pty;           // with process.terminal: the slave becomes its stdio
};

// Forks the container process and returns its pid once the guest is loaded
// and waiting for `start`. `before_load(pid)` runs first (it puts the
// process in the container's cgroups): the process reads and compiles the
// module only after it returned, and is killed if it throws. Throws Error
// with the process's own message if it could not get there (bad module,
// missing bind source, ...).
pid_t spawn_container_process(ContainerLaunch launch, const std::function<void(pid_t)>& before_load);

// The linear-memory limit for a container whose cgroup allows `cgroup_limit`
// bytes: what remains after the runtime's own share, so that memory.grow
// fails (the guest sees -1) before the kernel's OOM killer would strike.
uint64_t guest_memory_limit(uint64_t cgroup_limit);

}  // namespace wasmlet::oci
