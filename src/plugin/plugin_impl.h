// The state behind a Plugin: its compiled module, the linker holding the ABI
// (and WASI, if the module imports it), its options, and the warm instance.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "plugin/abi.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/plugin.h"
#include "wasmlet/store.h"

namespace wasmlet::detail {

struct WarmInstance {
  std::unique_ptr<Store> store;
  std::shared_ptr<plugin::CallContext> context;
  std::optional<Instance> instance;
};

struct PluginImpl {
  Engine engine;
  std::optional<Module> module;
  PluginMetadata metadata;
  std::string name;
  std::vector<PluginExport> exports;
  PluginOptions options;
  bool uses_wasi = false;
  bool has_initialize = false;
  Linker linker;

  mutable std::mutex live_mu;
  mutable std::set<Store*> live;  // stores of calls in progress (interrupt_all)
  mutable std::mutex warm_mu;
  mutable std::unique_ptr<WarmInstance> warm;

  // The export a call that names none runs (Plugin::default_entry).
  std::optional<std::string> default_entry() const;
  // Runs one call: input bytes in, output bytes out; PluginError on any failure.
  std::vector<uint8_t> run(std::string_view export_name, std::vector<uint8_t> input, bool require_output,
                           CallStats* stats) const;
};

std::unique_ptr<PluginImpl> make_plugin_impl(Engine& engine, std::span<const uint8_t> wasm, std::string fallback_name,
                                             PluginOptions options);

}  // namespace wasmlet::detail
