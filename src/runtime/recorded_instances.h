// Where an instance's files live in the data dir, and removing them; shared
// by WasmRuntime and the no-daemon functions of wasm_runtime.h.
#pragma once

#include <filesystem>

#include "wasmlet/runtime/types.h"

namespace wasmlet::runtime {

std::filesystem::path instance_log_file(const std::filesystem::path& data_dir, const InstanceId& id);
// Its logs and tmpfs mounts (named volumes stay). Called once the instance
// is forgotten: a tmpfs directory it cannot delete is a RuntimeError naming
// it, which the caller passes on (the instance stays removed).
void remove_instance_files(const std::filesystem::path& data_dir, const InstanceId& id);

}  // namespace wasmlet::runtime
