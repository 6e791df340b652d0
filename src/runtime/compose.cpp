// compose_up / compose_down over the runtime interface (compose.h).
#include "wasmlet/runtime/compose.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace wasmlet::runtime {

namespace {

// Whether the instance was created from this service spec. The replica
// count is not the instance's concern: scaling leaves existing replicas be.
bool same_spec(const InstanceInfo& info, const ServiceSpec& spec) {
  try {
    ServiceSpec recorded = parse_service(info.spec_yaml, info.id.service);
    recorded.replicas = spec.replicas;
    return recorded == spec;
  } catch (const Error&) {
    return false;  // an unreadable recorded spec is replaced
  }
}

std::vector<InstanceInfo> instances_of(Runtime& runtime, const std::string& deployment) {
  std::vector<InstanceInfo> out;
  for (auto& info : runtime.list())
    if (info.id.deployment == deployment) out.push_back(std::move(info));
  return out;
}

}  // namespace

const char* to_string(ComposeStep::Action action) {
  switch (action) {
    case ComposeStep::Action::Created: return "created";
    case ComposeStep::Action::Recreated: return "recreated";
    case ComposeStep::Action::Started: return "started";
    case ComposeStep::Action::Unchanged: return "unchanged";
    case ComposeStep::Action::Removed: return "removed";
    case ComposeStep::Action::Failed: return "failed";
  }
  return "failed";
}

std::vector<ComposeStep> compose_up(Runtime& runtime, const DeploymentSpec& d, const ComposeOptions& options) {
  using Action = ComposeStep::Action;
  std::map<std::string, InstanceInfo> existing;
  for (auto& info : instances_of(runtime, d.deployment)) existing.emplace(info.id.str(), std::move(info));
  std::vector<ComposeStep> steps;
  for (const auto& spec : d.services) {
    if (!options.services.empty() && std::find(options.services.begin(), options.services.end(), spec.name) == options.services.end())
      continue;
    for (uint32_t r = 0; r < spec.replicas; ++r) {
      ComposeStep step{InstanceId{spec.name, r, d.deployment}, Action::Created, {}};
      try {
        auto it = existing.find(step.id.str());
        if (it == existing.end()) {
          runtime.create(step.id, spec);
        } else if (same_spec(it->second, spec)) {
          if (it->second.state.active()) {
            step.action = Action::Unchanged;
            steps.push_back(step);
            continue;
          }
          step.action = Action::Started;
        } else {
          // A new spec that cannot be created must not cost the running instance.
          try {
            runtime.check_create(step.id, spec);
          } catch (const Error& e) {
            throw RuntimeError(RuntimeError::Kind::InvalidSpec,
                               fmt::format("{}; {} was not recreated and keeps its previous spec ({})", e.what(), step.id.str(),
                                           it->second.state.name()));
          }
          runtime.stop(step.id, options.stop_timeout);
          runtime.remove(step.id, true);
          runtime.create(step.id, spec);
          step.action = Action::Recreated;
        }
        runtime.start(step.id);
        StartCheck check = runtime.wait_started(step.id);
        if (!check.entered && check.state.kind == InstanceState::Kind::Failed) {
          step.action = Action::Failed;
          step.error = check.state.reason;
        }
      } catch (const Error& e) {
        step.action = Action::Failed;
        step.error = e.what();
      }
      steps.push_back(step);
    }
    for (const auto& [_, info] : existing)
      if (info.id.service == spec.name && info.id.replica >= spec.replicas) {
        ComposeStep step{info.id, Action::Removed, {}};
        try {
          runtime.stop(info.id, options.stop_timeout);
          runtime.remove(info.id, true);
        } catch (const Error& e) {
          step.action = Action::Failed;
          step.error = e.what();
        }
        steps.push_back(step);
      }
  }
  return steps;
}

ComposeDown compose_down(WasmRuntime& runtime, const std::string& deployment, bool volumes, std::chrono::nanoseconds stop_timeout) {
  auto instances = instances_of(runtime, deployment);
  if (instances.empty())
    throw RuntimeError(RuntimeError::Kind::NotFound, fmt::format("deployment '{}' has no instances (see `wasmlet ps -a`)", deployment));
  ComposeDown out;
  std::set<std::string> named;
  for (const auto& info : instances) {
    try {
      for (const auto& m : parse_service(info.spec_yaml, info.id.service).storage)
        if (m.type == StorageSpec::Type::Named) named.insert(m.name);
    } catch (const Error&) {
      // An unreadable recorded spec names no volume we could trust.
    }
    runtime.stop(info.id, stop_timeout);
    try {
      runtime.remove(info.id, true);
    } catch (const RuntimeError& e) {
      // Internal comes after the instance is gone, from a clean-up step (a
      // tmpfs directory left on the host): say so, and go on with the others.
      if (e.kind() != RuntimeError::Kind::Internal) throw;
      out.warnings.push_back(e.what());
    }
    out.removed.push_back(info.id);
  }
  if (!volumes) return out;
  for (const auto& name : named) {
    try {
      runtime.remove_volume(name);
      out.volumes_removed.push_back(name);
    } catch (const RuntimeError& e) {
      out.volumes_kept.push_back(fmt::format("{}: {}", name, e.what()));
    }
  }
  return out;
}

}  // namespace wasmlet::runtime
