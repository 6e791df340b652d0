// Compose semantics for deployments, as `docker compose up` and `down` have
// them: a deployment's instances are "DEPLOYMENT.SERVICE-rep-N"; `up` brings
// them in line with a spec (create what is missing, recreate what changed,
// leave the rest), `down` removes them. docs/runtime.md describes both.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {

struct ComposeStep {
  enum class Action { Created, Recreated, Started, Unchanged, Removed, Failed };
  InstanceId id;
  Action action = Action::Created;
  std::string error;  // Failed: why (the runtime's message, naming the instance)
};
// "created", "recreated", "started", "unchanged", "removed", "failed"
const char* to_string(ComposeStep::Action action);

struct ComposeOptions {
  std::vector<std::string> services;  // only these services (all when empty)
  std::chrono::nanoseconds stop_timeout = std::chrono::seconds(10);
};

// For each replica of each service of `spec`: create and start it when it is
// missing; when its recorded spec differs from the service's, check that the
// new spec can be created (else a Failed step, the instance left as it is),
// stop it, remove it (named volumes stay), create and start it again; when the spec
// is the same, leave it running, or start it when it is not. Replicas beyond
// the service's scale are removed. After a start it waits until the guest's
// code is entered: a start that ends before (invalid module, link failure,
// no entry point, a port in use) is a Failed step with the reason. Other
// deployments' instances are never touched.
std::vector<ComposeStep> compose_up(Runtime& runtime, const DeploymentSpec& spec, const ComposeOptions& options = {});

struct ComposeDown {
  std::vector<InstanceId> removed;
  std::vector<std::string> volumes_removed;
  std::vector<std::string> volumes_kept;  // "NAME: why", e.g. used by another deployment's instance
  std::vector<std::string> warnings;      // an instance removed but not cleaned up (a tmpfs directory left): the error
};

// Stops and removes every instance of `deployment` (NotFound when it has
// none); with `volumes`, also the named volumes they mounted, except those
// another instance still mounts.
ComposeDown compose_down(WasmRuntime& runtime, const std::string& deployment, bool volumes,
                         std::chrono::nanoseconds stop_timeout = std::chrono::seconds(10));

}  // namespace wasmlet::runtime
