#include "engine/hot/hot_library.h"

#include <dlfcn.h>

#include <algorithm>
#include <fstream>
#include <thread>

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
  const auto object = directory / "hot.so";
  std::vector<aot::CompileUnit> units;
  for (size_t i = 0; i < emitted.units.size(); ++i) {
    const auto source = directory / fmt::format("hot-{}.cpp", i);
    std::ofstream out(source, std::ios::binary | std::ios::trunc);
    out << kHotPrelude << emitted.units[i].text;
    if (!out.flush()) throw CompileError(fmt::format("hot code: cannot write {}", source.string()));
    units.push_back(aot::CompileUnit{source, {}});
    if (emitted.units[i].large) units.back().flags.push_back("-O1");
    emitted.units[i].text = std::string();
  }
  // As many compilers at once as there are CPUs, each with its share of the memory limit.
  const size_t parallel = std::max<size_t>(1, std::min<size_t>(units.size(), std::thread::hardware_concurrency()));
  const aot::CompilerLimits limits{options.memory_bytes / (units.size() > 2 ? parallel : 1), options.cpu_seconds,
                                   options.cpu_seconds * 2};
  // After the AOT flags: their -O2 gives way to this one.
  // -fsignaling-nans: x * 1.0 must not fold to x (a signalling NaN comes out
  // quiet); -fstack-clash-protection: a large frame touches each page it
  // takes, so it can never step over the stack's guard page.
  const std::vector<std::string> flags = {"-std=c++20", "-ffp-contract=off", "-fsignaling-nans",
                                          "-fstack-clash-protection", options.opt_level};
  const aot::CompilerResult result =
      aot::compile_shared_object(options.compiler, units, object, {}, limits, flags, parallel);
  if (!result.ok)
    throw CompileError(fmt::format("hot code: the C++ compiler failed in {}: {}", directory.string(), result.message));
  auto library = std::const_pointer_cast<HotLibrary>(load(object, module.bodies.size()));
  library->left_out_ = std::move(emitted.reasons);
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
  library->covered_.assign(defined_functions, false);
  auto check = [&](uint32_t index) {
    if (index >= defined_functions)
      throw CompileError(fmt::format("hot code: {} does not belong to this module", shared_object.string()));
    library->covered_[index] = true;
  };
  for (uint32_t i = 0; i < entry->count; ++i) {
    check(entry->defined_indices[i]);
    library->functions_[entry->defined_indices[i]] = entry->functions[i];
  }
  for (uint32_t i = 0; i < entry->left_out_count; ++i) check(entry->left_out_indices[i]);
  library->compiled_ = entry->count;
  return library;
}

HotLibrary::~HotLibrary() {
  if (handle_) dlclose(handle_);
}

}  // namespace wasmlet::detail::hot
