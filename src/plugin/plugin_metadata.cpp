#include "plugin/plugin_metadata.h"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "plugin/abi.h"
#include "util/printable.h"

namespace wasmlet::plugin {

bool plugin_name_valid(std::string_view name) {
  return !name.empty() && name.size() <= kMaxPluginName && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

PluginMetadata read_metadata(const Module& module, const std::string& fallback_name, std::string* warning) {
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
  // The module's own name, unlike the file's, is the plugin author's: one
  // with a newline or an escape sequence would forge log lines.
  std::string name;
  text("name", name);
  if (plugin_name_valid(name)) {
    meta.name = std::move(name);
  } else if (!name.empty() && warning) {
    *warning = fmt::format("the plugin's metadata name '{}' ({} bytes) is not 1 to {} letters, digits, '.', '_' or '-'; "
                           "using '{}'", util::printable(name, 80), name.size(), kMaxPluginName, util::printable(fallback_name, 200));
  }
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
