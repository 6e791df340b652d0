// The registry of loaded plugins: load (file, bytes, image), get, call, list,
// unload; a shared mutex guards the map, the plugins themselves are immutable.
#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "plugin/plugin_impl.h"
#include "util/file_bytes.h"

namespace wasmlet {

namespace {
EngineConfig native_first() {
  EngineConfig config;
  config.tier = Tier::Auto;
  return config;
}
}  // namespace

PluginHost::PluginHost() : PluginHost(native_first()) {}
PluginHost::PluginHost(EngineConfig engine_config) : engine_(engine_config) {}
PluginHost::~PluginHost() = default;

std::shared_ptr<const Plugin> PluginHost::compile(Engine& engine, std::span<const uint8_t> wasm,
                                                  std::string fallback_name, PluginOptions options) {
  return std::make_shared<const Plugin>(detail::make_plugin_impl(engine, wasm, std::move(fallback_name), std::move(options)));
}

std::shared_ptr<const Plugin> PluginHost::add(std::shared_ptr<const Plugin> plugin) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = plugins_.emplace(plugin->name(), plugin);
  if (!inserted) {
    throw UsageError(fmt::format("a plugin named '{}' is already loaded (unload it first, or load with another name)", plugin->name()));
  }
  return plugin;
}

std::shared_ptr<const Plugin> PluginHost::load_file(const std::filesystem::path& path, PluginOptions options) {
  std::vector<uint8_t> bytes;
  if (!util::read_file_bytes(path, bytes))
    throw UsageError(fmt::format("cannot read plugin file '{}': {}", path.string(), std::strerror(errno)));
  return load_bytes(bytes, path.stem().string(), std::move(options));
}

std::shared_ptr<const Plugin> PluginHost::load_bytes(std::span<const uint8_t> wasm, std::string fallback_name,
                                                     PluginOptions options) {
  return add(compile(engine_, wasm, std::move(fallback_name), std::move(options)));
}

void PluginHost::set_image_source(std::shared_ptr<PluginImageSource> source) {
  std::unique_lock lock(mu_);
  image_source_ = std::move(source);
}

std::shared_ptr<const Plugin> PluginHost::load_image(std::string_view reference, PluginOptions options) {
  std::shared_ptr<PluginImageSource> source;
  {
    std::shared_lock lock(mu_);
    source = image_source_;
  }
  if (!source) throw UsageError(fmt::format("cannot load plugin image '{}': no image source is set (PluginHost::set_image_source)", reference));
  std::vector<uint8_t> bytes = source->fetch_wasm(reference);
  // Fallback name: the repository's last path component without tag or digest.
  std::string name(reference);
  if (auto at = name.find('@'); at != std::string::npos) name.resize(at);
  if (auto slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  if (auto colon = name.find(':'); colon != std::string::npos) name.resize(colon);
  return load_bytes(bytes, name, std::move(options));
}

std::shared_ptr<const Plugin> PluginHost::get(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : it->second;
}

namespace {
std::shared_ptr<const Plugin> must_get(const PluginHost& host, std::string_view name, std::string_view export_name) {
  auto p = host.get(name);
  if (!p) throw PluginError(PluginError::Kind::NotFound, std::string(name), std::string(export_name), "no plugin with this name is loaded");
  return p;
}
}  // namespace

nlohmann::json PluginHost::call(std::string_view plugin, std::string_view export_name, const nlohmann::json& input) const {
  return must_get(*this, plugin, export_name)->call(export_name, input);
}

std::vector<uint8_t> PluginHost::call(std::string_view plugin, std::string_view export_name,
                                      std::span<const uint8_t> input) const {
  return must_get(*this, plugin, export_name)->call(export_name, input);
}

bool PluginHost::unload(std::string_view name) {
  std::unique_lock lock(mu_);
  auto it = plugins_.find(name);
  if (it == plugins_.end()) return false;
  plugins_.erase(it);
  return true;
}

std::vector<PluginSummary> PluginHost::list() const {
  std::shared_lock lock(mu_);
  std::vector<PluginSummary> out;
  for (const auto& [name, p] : plugins_) {
    PluginSummary s{name, p->metadata().version, p->metadata().description, {}, p->warm()};
    for (const auto& e : p->exports()) if (e.callable) s.exports.push_back(e.name);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace wasmlet
