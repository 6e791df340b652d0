// `wasmlet rm`, `ps` and `inspect` while no daemon runs: the CLI answers from
// the state the last daemon recorded in the data dir (state.db, logs), in the
// API's JSON shapes, holding the daemon's lock so no daemon starts meanwhile.
// So an instance that keeps a daemon from starting can still be removed.
#pragma once

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "data_dir_lock.h"
#include "wasmlet/runtime/types.h"

namespace wasmlet::server {

class OfflineState {
 public:
  // nullopt when a daemon holds the data dir (it is starting, or serves another socket).
  static std::optional<OfflineState> open(const std::filesystem::path& data_dir);

  nlohmann::json list(bool all) const;                           // as GET /v1/instances
  nlohmann::json inspect(const runtime::InstanceId& id) const;   // as GET /v1/instances/ID
  nlohmann::json remove(const runtime::InstanceId& id) const;    // as DELETE /v1/instances/ID
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  OfflineState(std::filesystem::path data_dir, DataDirLock lock) : data_dir_(std::move(data_dir)), lock_(std::move(lock)) {}
  runtime::InstanceId resolve(const runtime::InstanceId& given, const std::vector<runtime::InstanceInfo>& recorded) const;
  std::filesystem::path data_dir_;
  DataDirLock lock_;
};

}  // namespace wasmlet::server
