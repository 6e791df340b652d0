// The recorded state of a data dir, read and changed without a running
// runtime: what `wasmlet rm`, `ps` and `inspect` use while no daemon runs.
#include <fmt/format.h>

#include "log_store.h"
#include "mounts.h"
#include "recorded_instances.h"
#include "state_db.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {

namespace {

std::filesystem::path state_db_file(const std::filesystem::path& data_dir) { return data_dir / "state.db"; }

}  // namespace

std::filesystem::path instance_log_file(const std::filesystem::path& data_dir, const InstanceId& id) {
  return data_dir / "logs" / (id.str() + ".log");
}

void remove_instance_files(const std::filesystem::path& data_dir, const InstanceId& id) {
  const WasmRuntimeConfig defaults;
  InstanceLog(instance_log_file(data_dir, id), defaults.log_max_bytes, defaults.log_max_files).remove_files();
  release_mounts(id.str(), data_dir);
}

std::vector<InstanceInfo> recorded_instances(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(state_db_file(data_dir), ec)) return {};
  std::vector<InstanceInfo> out;
  for (const auto& rec : StateDb(state_db_file(data_dir)).load_all()) {
    InstanceInfo info = rec.info();
    if (info.state.active()) info.warnings.push_back("recorded as " + std::string(info.state.name()) + ", but no daemon runs it");
    out.push_back(std::move(info));
  }
  return out;
}

void remove_recorded_instance(const std::filesystem::path& data_dir, const InstanceId& id) {
  std::error_code ec;
  bool known = false;
  if (std::filesystem::exists(state_db_file(data_dir), ec)) {
    StateDb db(state_db_file(data_dir));
    for (const auto& rec : db.load_all()) known = known || rec.id == id;
    if (known) db.erase(id);
  }
  if (!known)
    throw RuntimeError(RuntimeError::Kind::NotFound,
                       fmt::format("no instance '{}' is recorded in '{}' (see `wasmlet ps -a`)", id.str(), data_dir.string()));
  remove_instance_files(data_dir, id);
}

}  // namespace wasmlet::runtime
