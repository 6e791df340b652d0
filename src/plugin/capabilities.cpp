// Capability helpers: the CLI's path grant syntax and the WASI config a
// capability set turns into for one call.
#include "plugin/capabilities.h"

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet {

PathGrant parse_path_grant(std::string_view text) {
  PathGrant grant;
  std::string s(text);
  grant.read_only = false;
  auto ends_with = [&](std::string_view suffix) {
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(":ro")) {
    grant.read_only = true;
    s.resize(s.size() - 3);
  } else if (ends_with(":rw")) {
    s.resize(s.size() - 3);
  }
  auto sep = s.find("::");
  if (sep != std::string::npos) {
    grant.host_path = s.substr(0, sep);
    grant.guest_path = s.substr(sep + 2);
  } else {
    grant.host_path = s;
  }
  if (grant.host_path.empty()) throw UsageError(fmt::format("--allow-path '{}': no host path (use HOST[::GUEST][:ro])", text));
  if (grant.guest_path.empty()) grant.guest_path = grant.host_path.string();
  return grant;
}

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Trace: return "TRACE";
    case LogLevel::Debug: return "DEBUG";
    case LogLevel::Info: return "INFO";
    case LogLevel::Warn: return "WARN";
    case LogLevel::Error: return "ERROR";
  }
  return "?";
}

namespace plugin {

WasiConfig wasi_config_for(const Capabilities& caps, const std::string& plugin_name, const PluginLogSink& log) {
  WasiConfig config;
  config.args = {plugin_name};
  for (const auto& [k, v] : caps.env) config.env.push_back(k + "=" + v);
  for (const auto& p : caps.paths) config.preopens.push_back({p.host_path, p.guest_path, p.read_only});
  bool out = caps.inherit_stdout, err = caps.inherit_stderr;
  config.output = [out, err, plugin_name, log](OutputStream stream, std::span<const uint8_t> bytes) {
    bool inherit = stream == OutputStream::Stdout ? out : err;
    if (inherit) {
      std::fwrite(bytes.data(), 1, bytes.size(), stream == OutputStream::Stdout ? stdout : stderr);
      std::fflush(stream == OutputStream::Stdout ? stdout : stderr);
      return;
    }
    if (!log) return;
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (!text.empty()) log(plugin_name, stream == OutputStream::Stdout ? LogLevel::Info : LogLevel::Warn, text);
  };
  return config;
}

}  // namespace plugin
}  // namespace wasmlet
