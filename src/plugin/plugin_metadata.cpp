#include "plugin/plugin_metadata.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "plugin/abi.h"

namespace wasmlet::plugin {

PluginMetadata read_metadata(const Module& module, const std::string& fallback_name) {
  PluginMetadata meta;
  meta.name = fallback_name;
  auto section = module.custom_section(kMetadataSection);
  // A NUL would end the parser's input early: such a section is not JSON.
  if (!section || std::find(section->begin(), section->end(), 0) != section->end()) return meta;
  nlohmann::json j = nlohmann::json::parse(section->begin(), section->end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return meta;
  meta.from_custom_section = true;
  auto text = [&](const char* key, std::string& out) {
    if (j.contains(key) && j[key].is_string() && !j[key].get<std::string>().empty()) out = j[key].get<std::string>();
  };
  text("name", meta.name);
  text("version", meta.version);
  text("description", meta.description);
  return meta;
}

bool abi_callable(const FuncType& type) {
  return type.params.empty() && (type.results.empty() || (type.results.size() == 1 && type.results[0] == ValType::I32));
}

std::vector<PluginExport> plugin_exports(const Module& module) {
  std::vector<PluginExport> out;
  for (const auto& e : module.exports()) {
    if (e.kind != ExternKind::Func) continue;
    // Module plumbing, not plugin entry points.
    if (e.name == "_initialize" || e.name.rfind("__", 0) == 0) continue;
    out.push_back({e.name, e.type.to_string(), abi_callable(e.type)});
  }
  return out;
}

}  // namespace wasmlet::plugin
