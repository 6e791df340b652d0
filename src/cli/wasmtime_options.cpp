// wasmtime's grouped option syntax for `wasmlet run`, so that wasmtime users'
// scripts work: `-W max-memory-size=BYTES,fuel=N,timeout=DUR` (wasm limits)
// and `-S inherit-env,tcplisten=ADDR,inherit-network` (WASI capabilities).
// Each key sets the same field its long option does.
#include <charconv>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "cli/run_options.h"
#include "wasmlet/error.h"

namespace wasmlet::cli {

namespace {

using Setter = std::function<void(RunOptions&, const std::string& key, const std::optional<std::string>& value)>;

std::string required(const std::string& flag, const std::string& key, const std::optional<std::string>& value) {
  if (!value || value->empty()) throw UsageError(fmt::format("{} {}: expected {}=VALUE", flag, key, key));
  return *value;
}

// wasmtime's booleans: KEY alone, KEY=y|yes|true, KEY=n|no|false.
bool boolean(const std::string& flag, const std::string& key, const std::optional<std::string>& value) {
  if (!value || *value == "y" || *value == "yes" || *value == "true") return true;
  if (*value == "n" || *value == "no" || *value == "false") return false;
  throw UsageError(fmt::format("{} {}={}: expected y, yes, true, n, no or false", flag, key, *value));
}

const std::map<std::string, Setter>& wasm_keys() {
  static const std::map<std::string, Setter> keys{
      {"max-memory-size",
       [](RunOptions& o, const std::string& k, const std::optional<std::string>& v) {
         std::string text = required("-W", k, v);
         uint64_t bytes = 0;
         auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
         if (ec != std::errc() || end != text.data() + text.size())
           throw UsageError(fmt::format("-W max-memory-size={}: expected a number of bytes", text));
         o.max_memory_bytes = bytes;
       }},
      {"fuel", [](RunOptions& o, const std::string& k, const std::optional<std::string>& v) { o.fuel = required("-W", k, v); }},
      {"timeout",
       [](RunOptions& o, const std::string& k, const std::optional<std::string>& v) {
         std::string text = required("-W", k, v);
         // wasmtime reads a bare number as seconds.
         o.timeout = text.find_first_not_of("0123456789.") == std::string::npos ? text + "s" : text;
       }},
  };
  return keys;
}

const std::map<std::string, Setter>& wasi_keys() {
  static const std::map<std::string, Setter> keys{
      {"inherit-env", [](RunOptions& o, const std::string& k, const std::optional<std::string>& v) { o.inherit_env = boolean("-S", k, v); }},
      {"tcplisten", [](RunOptions& o, const std::string& k, const std::optional<std::string>& v) { o.listeners.push_back(required("-S", k, v)); }},
      {"inherit-network",
       [](RunOptions& o, const std::string& k, const std::optional<std::string>& v) {
         o.allow_sockets = boolean("-S", k, v);
         o.network_from_wasmtime = o.allow_sockets;
       }},
  };
  return keys;
}

void apply(RunOptions& opts, const std::vector<std::string>& lists, const char* flag, const std::map<std::string, Setter>& keys) {
  for (const auto& list : lists) {
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? list.size() + 1 : comma + 1;
      if (item.empty()) continue;
      auto eq = item.find('=');
      std::string key = item.substr(0, eq);
      std::optional<std::string> value;
      if (eq != std::string::npos) value = item.substr(eq + 1);
      auto it = keys.find(key);
      if (it == keys.end()) {
        std::vector<std::string> known;
        for (const auto& [name, setter] : keys) known.push_back(name);
        throw UsageError(fmt::format("unknown {} option '{}' (known: {})", flag, key, fmt::join(known, ", ")));
      }
      it->second(opts, key, value);
    }
  }
}

}  // namespace

void apply_wasmtime_options(RunOptions& opts) {
  apply(opts, opts.wasmtime_w, "-W", wasm_keys());
  apply(opts, opts.wasmtime_s, "-S", wasi_keys());
}

}  // namespace wasmlet::cli
