#include "offline.h"

#include <fmt/format.h>

#include "api_json.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::server {

std::optional<OfflineState> OfflineState::open(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) return std::nullopt;  // nothing recorded: nothing to answer
  auto lock = DataDirLock::try_acquire(data_dir);
  if (!lock) return std::nullopt;
  return OfflineState(data_dir, std::move(*lock));
}

nlohmann::json OfflineState::list(bool all) const { return instance_list_json(runtime::recorded_instances(data_dir_), all); }

// The recorded instance `given` names (a short id resolves as the daemon resolves it).
runtime::InstanceId OfflineState::resolve(const runtime::InstanceId& given,
                                          const std::vector<runtime::InstanceInfo>& recorded) const {
  std::vector<runtime::InstanceId> ids;
  for (const auto& info : recorded) ids.push_back(info.id);
  return runtime::resolve_instance_id(
      given, ids, fmt::format("no instance '{}' is recorded in '{}' (see `wasmlet ps -a`)", given.str(), data_dir_.string()));
}

nlohmann::json OfflineState::inspect(const runtime::InstanceId& given) const {
  auto recorded = runtime::recorded_instances(data_dir_);
  auto id = resolve(given, recorded);
  for (const auto& info : recorded)
    if (info.id == id) {
      json j = to_json(info);
      j["id"] = display_id(info.id, recorded);
      return j;
    }
  throw runtime::RuntimeError(runtime::RuntimeError::Kind::NotFound, fmt::format("no instance '{}'", id.str()));
}

nlohmann::json OfflineState::remove(const runtime::InstanceId& given) const {
  auto recorded = runtime::recorded_instances(data_dir_);
  auto id = resolve(given, recorded);
  std::string shown = display_id(id, recorded);
  runtime::remove_recorded_instance(data_dir_, id);
  return {{"id", shown}, {"removed", true}};
}

}  // namespace wasmlet::server
