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

nlohmann::json OfflineState::inspect(const runtime::InstanceId& id) const {
  for (const auto& info : runtime::recorded_instances(data_dir_))
    if (info.id == id) return to_json(info);
  throw runtime::RuntimeError(runtime::RuntimeError::Kind::NotFound,
                              fmt::format("no instance '{}' is recorded in '{}' (see `wasmlet ps -a`)", id.str(), data_dir_.string()));
}

nlohmann::json OfflineState::remove(const runtime::InstanceId& id) const {
  runtime::remove_recorded_instance(data_dir_, id);
  return {{"id", id.str()}, {"removed", true}};
}

}  // namespace wasmlet::server
