// Capability helpers: the CLI's path grant syntax and the WASI config a
// capability set turns into for one call.
#include "plugin/capabilities.h"

#include <fmt/format.h>

#include <memory>
#include <string_view>

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

namespace {

// A guest stream that goes to the log: one log line per text line, however
// many fd_write calls wrote it (one perror() is four writes). A last line
// without a newline is logged when the stream goes away with its instance.
// A line is cut at kMaxLogLine, the rest of it up to its newline dropped:
// a plugin writing without newlines must not grow the host's memory, and
// each write is scanned once (a rescan of the whole line at every write
// made a long line quadratic, in a host call no deadline interrupts).
class LoggedStream {
 public:
  LoggedStream(std::string plugin, LogLevel level, PluginLogSink log)
      : plugin_(std::move(plugin)), level_(level), log_(std::move(log)) {}
  LoggedStream(const LoggedStream&) = delete;
  ~LoggedStream() {
    if (!pending_.empty()) log_(plugin_, level_, pending_);
  }
  void write(std::string_view text) {
    while (!text.empty()) {
      const size_t nl = text.find('\n');
      const std::string_view piece = text.substr(0, nl);
      if (!cutting_) {
        const size_t room = kMaxLogLine - pending_.size();
        pending_.append(piece.substr(0, room));
        if (piece.size() >= room) {  // the line is full: log it now, drop the rest of it
          log_(plugin_, level_, pending_);
          pending_.clear();
          cutting_ = true;
        }
      }
      if (nl == std::string_view::npos) return;
      if (!cutting_) log_(plugin_, level_, pending_);
      pending_.clear();
      cutting_ = false;
      text.remove_prefix(nl + 1);
    }
  }

 private:
  std::string plugin_;
  LogLevel level_;
  PluginLogSink log_;
  std::string pending_;
  bool cutting_ = false;  // the current line was logged at its cut; skip to its newline
};

}  // namespace

WasiConfig wasi_config_for(const Capabilities& caps, const std::string& plugin_name, const PluginLogSink& log) {
  WasiConfig config;
  config.args = {plugin_name};
  for (const auto& [k, v] : caps.env) config.env.push_back(k + "=" + v);
  for (const auto& p : caps.paths) config.preopens.push_back({p.host_path, p.guest_path, p.read_only});
  bool out = caps.inherit_stdout, err = caps.inherit_stderr;
  std::shared_ptr<LoggedStream> logged_out, logged_err;
  if (log) {
    logged_out = std::make_shared<LoggedStream>(plugin_name, LogLevel::Info, log);
    logged_err = std::make_shared<LoggedStream>(plugin_name, LogLevel::Warn, log);
  }
  config.output = [out, err, logged_out, logged_err](OutputStream stream, std::span<const uint8_t> bytes) {
    bool inherit = stream == OutputStream::Stdout ? out : err;
    if (inherit) {
      std::fwrite(bytes.data(), 1, bytes.size(), stream == OutputStream::Stdout ? stdout : stderr);
      std::fflush(stream == OutputStream::Stdout ? stdout : stderr);
      return;
    }
    auto& logged = stream == OutputStream::Stdout ? logged_out : logged_err;
    if (logged) logged->write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  };
  return config;
}

}  // namespace plugin
}  // namespace wasmlet
