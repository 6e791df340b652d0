// `wasmlet plugin inspect FILE` and `wasmlet plugin call FILE [EXPORT] --input ...`.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.h"
#include "cli/run_options.h"
#include "util/printable.h"
#include "wasmlet/byte_size.h"
#include "wasmlet/duration.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/module.h"
#include "wasmlet/plugin.h"

namespace wasmlet::cli {
namespace {

std::vector<uint8_t> read_file_bytes(const std::string& path, const char* what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))  // else reading it fails deep inside the stream library
    throw UsageError(fmt::format("cannot read {} '{}': it is a directory", what, path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot open {} '{}'", what, path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::pair<std::string, std::string> split_key_value(const std::string& kv, const char* flag) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError(fmt::format("{} '{}': expected KEY=VALUE", flag, kv));
  return {kv.substr(0, eq), kv.substr(eq + 1)};
}

struct InspectOptions {
  std::string file;
  bool json = false;
};

void inspect(const InspectOptions& o) {
  Engine engine;
  std::vector<uint8_t> bytes = read_file_bytes(o.file, "plugin file");
  PluginOptions options;
  auto plugin = PluginHost::compile(engine, bytes, std::filesystem::path(o.file).stem().string(), options);
  const auto& meta = plugin->metadata();
  std::string entry = plugin->default_entry().value_or("");
  if (o.json) {
    nlohmann::json j = {{"name", meta.name},
                        {"version", meta.version},
                        {"description", meta.description},
                        {"metadata", meta.from_custom_section ? "wasmlet.plugin" : "fallback"},
                        {"wasi", plugin->uses_wasi()},
                        {"entry_point", entry.empty() ? nlohmann::json(nullptr) : nlohmann::json(entry)},
                        {"exports", nlohmann::json::array()}};
    for (const auto& e : plugin->exports()) {
      j["exports"].push_back({{"name", e.name}, {"signature", e.signature}, {"callable", e.callable}});
    }
    // The name falls back to the file's, which need not be UTF-8: U+FFFD for its bad bytes.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  // What the module says is the plugin author's: no control character of
  // it reaches the terminal (util::terminal_text).
  using util::terminal_text;
  std::cout << fmt::format("name:        {}\n", terminal_text(meta.name))
            << fmt::format("version:     {}\n", terminal_text(meta.version))
            << fmt::format("description: {}\n", meta.description.empty() ? "-" : terminal_text(meta.description))
            << fmt::format("metadata:    {}\n", meta.from_custom_section ? "wasmlet.plugin custom section"
                                                                          : "none (file name and default version)")
            << fmt::format("wasi:        {}\n", plugin->uses_wasi() ? "yes (wasi_snapshot_preview1)" : "no")
            << fmt::format("entry point: {}\n", entry.empty() ? "none (name an export when calling)" : terminal_text(entry))
            << "exports:\n";
  for (const auto& e : plugin->exports()) {
    std::cout << fmt::format("  {:<20} {}{}\n", terminal_text(e.name), e.signature,
                             e.callable ? "" : "  (not callable: plugin exports are () -> i32 or () -> ())");
  }
}

struct CallOptions {
  std::string file;
  std::string export_name;
  std::string input = "null";
  bool bytes = false;
  std::vector<std::string> allow_paths;
  std::vector<std::string> config;
  std::vector<std::string> env;
  bool allow_network = false;
  std::vector<std::string> allow_hosts;
  bool inherit_stdio = false;
  std::string max_memory = "16Mi";
  std::string timeout = "5s";
  std::string fuel;
  bool stats = false;
  std::string tier = "auto";
  std::string pull = "missing", data_dir;
};

int call(const CallOptions& o) {
  PluginOptions options;
  for (const auto& p : o.allow_paths) options.capabilities.paths.push_back(parse_path_grant(p));
  for (const auto& kv : o.config) options.capabilities.config.insert(split_key_value(kv, "--config"));
  for (const auto& kv : o.env) options.capabilities.env.insert(split_key_value(kv, "--env"));
  options.capabilities.network = o.allow_network || !o.allow_hosts.empty();
  options.capabilities.allowed_hosts = o.allow_hosts;
  options.capabilities.inherit_stdout = options.capabilities.inherit_stderr = o.inherit_stdio;
  options.limits.max_memory_bytes = parse_byte_size(o.max_memory);
  options.limits.timeout = timeout_option(o.timeout, "the default, 5s");
  if (!o.fuel.empty()) options.limits.fuel = fuel_option(o.fuel);

  std::vector<uint8_t> input;
  if (o.input == "@-") input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  else if (!o.input.empty() && o.input[0] == '@') input = read_file_bytes(o.input.substr(1), "input file");
  else input.assign(o.input.begin(), o.input.end());

  EngineConfig config;
  config.tier = tier_option(o.tier);
  Engine engine(config);
  // A file, else an image reference (pulled per --pull, as `wasmlet run`).
  std::vector<uint8_t> wasm;
  std::string name = std::filesystem::path(o.file).stem().string();
  if (names_a_file(o.file)) {
    wasm = read_file_bytes(o.file, "plugin file");
  } else {
    RunOptions image;
    image.module = o.file;
    image.pull = o.pull;
    image.data_dir = o.data_dir;
    wasm = pull_image_hook(image);
    name = o.file.substr(0, o.file.find_first_of(":@", o.file.rfind('/') == std::string::npos ? 0 : o.file.rfind('/')));
    name = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  }
  auto plugin = PluginHost::compile(engine, wasm, name, options);
  CallStats stats;
  if (o.bytes) {
    auto out = plugin->call(o.export_name, std::span<const uint8_t>(input), &stats);
    std::cout.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
  } else {
    std::string out = plugin->call_json(
        o.export_name, std::string_view(reinterpret_cast<const char*>(input.data()), input.size()), &stats);
    std::cout << out << "\n";
  }
  std::cout.flush();
  if (o.stats) {
    std::cerr << fmt::format("export {}: {:.3f} ms, fuel {}, memory {} bytes\n", stats.export_name,
                             std::chrono::duration<double, std::milli>(stats.wall).count(), stats.fuel_consumed,
                             stats.memory_bytes);
  }
  return 0;
}

}  // namespace

void register_plugin_commands(CLI::App& app) {
  auto* plugin = app.add_subcommand("plugin", "Inspect and call .wasm plugins (JSON in, JSON out; docs/plugin-abi.md)");
  plugin->require_subcommand(1);

  auto io = std::make_shared<InspectOptions>();
  auto* ins = plugin->add_subcommand("inspect", "Show a plugin's name, version, description and exports");
  ins->add_option("FILE", io->file, "the plugin's .wasm file")->required();
  ins->add_flag("--json", io->json, "print JSON");
  ins->callback([io] {
    inspect(*io);
    exit_status = 0;
  });

  auto co = std::make_shared<CallOptions>();
  auto* c = plugin->add_subcommand("call", "Call a plugin export in a fresh sandboxed instance");
  c->add_option("FILE", co->file, "the plugin's .wasm file, or an image reference")->required();
  c->add_option("EXPORT", co->export_name, "the export to call (default: execute, run, _start or main)");
  c->add_option("--input,-i", co->input, "JSON input, @FILE to read it from a file, @- from stdin (default: null)");
  c->add_option("--pull", co->pull, "for an image reference: always, missing (default) or never")->type_name("always|missing|never");
  c->add_option("--data-dir", co->data_dir, "data dir of the image store an image reference is pulled into");
  c->add_flag("--bytes", co->bytes, "pass the input and print the output as raw bytes (no JSON checks)");
  c->add_option("--allow-path", co->allow_paths, "grant a directory: HOST[::GUEST][:ro] (repeatable)");
  c->add_option("--config", co->config, "a config value the plugin can read: KEY=VALUE (repeatable)");
  c->add_option("--env", co->env, "an environment variable for the plugin: KEY=VALUE (repeatable)");
  c->add_flag("--allow-network", co->allow_network, "allow wasmlet.http_request");
  c->add_option("--allow-host", co->allow_hosts, "allow HTTP to this host (any port) or HOST:PORT only (repeatable; implies --allow-network)");
  c->add_flag("--inherit-stdio", co->inherit_stdio, "the plugin's stdout/stderr go to ours (default: logged to stderr)");
  c->add_option("--max-memory", co->max_memory, "memory limit (default 16Mi)");
  c->add_option("--timeout", co->timeout, "wall time limit for the call (default 5s)");
  c->add_option("--fuel", co->fuel, "instruction budget for the call (default: unlimited)")->type_name("N");
  c->add_flag("--stats", co->stats, "print time, fuel and memory of the call to stderr");
  c->add_option("--tier", co->tier, "execution tier: auto (default: cached native code, else the interpreter while it compiles in the background), interp or aot")
      ->type_name("interp|aot|auto");
  c->callback([co] { exit_status = call(*co); });
}

}  // namespace wasmlet::cli
