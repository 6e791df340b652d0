#include "engine/hot/hot_library.h"

#include <dlfcn.h>

#include <fstream>

#include <fmt/format.h>

#include "engine/aot/native_compiler.h"
#include "engine/hot/hot_emitter.h"
#include "wasmlet/error.h"

namespace wasmlet::detail::hot {

namespace {
#include "hot_prelude.inc"
}  // namespace

std::shared_ptr<const HotLibrary> HotLibrary::build(const decode::Module& module, std::span<const uint8_t> bytes,
                                                    std::span<const uint32_t> wanted,
                                                    const std::filesystem::path& directory,
                                                    const BuildOptions& options) {
  EmittedModule emitted = emit_module(module, bytes, wanted);
  std::filesystem::create_directories(directory);
  const auto source = directory / "hot.cpp", object = directory / "hot.so";
  {
    std::ofstream out(source, std::ios::binary | std::ios::trunc);
    out << kHotPrelude << emitted.source;
    if (!out.flush()) throw CompileError(fmt::format("hot code: cannot write {}", source.string()));
  }
  const aot::CompilerLimits limits{options.memory_bytes, options.cpu_seconds, options.cpu_seconds * 2};
  // After the AOT flags: their -O2 gives way to this one.
  const std::vector<std::string> flags = {"-std=c++20", "-ffp-contract=off", options.opt_level};
  const aot::CompilerResult result =
      aot::compile_shared_object(options.compiler, {aot::CompileUnit{source, {}}}, object, {}, limits, flags);
  if (!result.ok)
    throw CompileError(fmt::format("hot code: the C++ compiler failed on {}: {}", source.string(), result.message));
  auto library = std::const_pointer_cast<HotLibrary>(load(object, module.bodies.size()));
  library->left_out_ = std::move(emitted.left_out);
  return library;
}

std::shared_ptr<const HotLibrary> HotLibrary::load(const std::filesystem::path& shared_object,
                                                   size_t defined_functions) {
  void* handle = dlopen(shared_object.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    throw CompileError(fmt::format("hot code: cannot load {}: {}", shared_object.string(), e ? e : "dlopen failed"));
  }
  std::shared_ptr<HotLibrary> library(new HotLibrary());
  library->handle_ = handle;
  const auto* entry = static_cast<const wasmlet_hot::Library*>(dlsym(handle, wasmlet_hot::kLibrarySymbol));
  if (!entry || entry->abi != wasmlet_hot::kHotAbi)
    throw CompileError(fmt::format("hot code: {} is not a library of this wasmlet", shared_object.string()));
  library->functions_.assign(defined_functions, nullptr);
  for (uint32_t i = 0; i < entry->count; ++i) {
    if (entry->defined_indices[i] >= defined_functions)
      throw CompileError(fmt::format("hot code: {} does not belong to this module", shared_object.string()));
    library->functions_[entry->defined_indices[i]] = entry->functions[i];
  }
  library->compiled_ = entry->count;
  return library;
}

HotLibrary::~HotLibrary() {
  if (handle_) dlclose(handle_);
}

}  // namespace wasmlet::detail::hot
