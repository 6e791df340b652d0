// A loaded plugin: compiled once, called in a fresh instance per call (or in
// its warm instance), every outcome mapped to output or to a PluginError.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "plugin/capabilities.h"
#include "plugin/plugin_impl.h"
#include "plugin/plugin_metadata.h"
#include "util/printable.h"
#include "util/untrusted_json.h"
#include "util/utf8.h"
#include "wasmlet/program.h"
#include "wasmlet/wasi.h"

namespace wasmlet {
namespace detail {
namespace {

using Kind = PluginError::Kind;

// A short, printable excerpt of guest text for error messages.
std::string excerpt(std::span<const uint8_t> bytes, size_t max = 300) {
  return util::printable(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), max);
}

PluginLogSink default_log() {
  return [](const std::string& plugin, LogLevel level, std::string_view message) {
    if (level < LogLevel::Info) return;
    std::string line = fmt::format("[plugin {}] {} {}\n", plugin, to_string(level), message);
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

StoreLimits store_limits(const PluginLimits& l) {
  StoreLimits s;
  s.max_memory_bytes = l.max_memory_bytes;
  s.fuel = l.fuel;
  if (l.timeout.count() > 0) s.timeout = l.timeout;
  return s;
}

struct LiveGuard {
  const PluginImpl& p;
  Store* store;
  LiveGuard(const PluginImpl& p, Store* s) : p(p), store(s) {
    std::lock_guard lock(p.live_mu);
    p.live.insert(s);
  }
  ~LiveGuard() {
    std::lock_guard lock(p.live_mu);
    p.live.erase(store);
  }
};

}  // namespace

std::unique_ptr<PluginImpl> make_plugin_impl(Engine& engine, std::span<const uint8_t> wasm, std::string fallback_name,
                                             PluginOptions options) {
  auto impl = std::make_unique<PluginImpl>();
  impl->engine = engine;
  impl->module.emplace(Module::compile(impl->engine, wasm, fallback_name));
  std::string name_warning;
  impl->metadata = plugin::read_metadata(*impl->module, fallback_name, &name_warning);
  impl->name = options.name.value_or(impl->metadata.name);
  impl->exports = plugin::plugin_exports(*impl->module);
  if (!options.log) options.log = default_log();
  if (!name_warning.empty()) options.log(impl->name, LogLevel::Warn, name_warning);
  impl->options = std::move(options);
  plugin::add_plugin_abi(impl->linker);
  for (const auto& imp : impl->module->imports()) {
    if (imp.module == "wasi_snapshot_preview1") impl->uses_wasi = true;
    else if (imp.module != plugin::kAbiModule) {
      throw PluginError(Kind::Instantiate, impl->name, "",
                        fmt::format("imports {}.{}, which the plugin host does not provide (only wasmlet.* and "
                                    "wasi_snapshot_preview1.*; see docs/plugin-abi.md)",
                                    imp.module, imp.name));
    }
  }
  if (impl->uses_wasi) add_wasi_preview1(impl->linker);
  const ExportInfo* init = impl->module->find_export("_initialize");
  impl->has_initialize = init && init->kind == ExternKind::Func && init->type.params.empty() && init->type.results.empty();
  return impl;
}

std::optional<std::string> PluginImpl::default_entry() const {
  // The program runner's entry search, over the plugin ABI's names.
  static const std::vector<std::string_view> names(Plugin::entry_points().begin(), Plugin::entry_points().end());
  return find_entry(*module, names);
}

std::vector<uint8_t> PluginImpl::run(std::string_view requested, std::vector<uint8_t> input, bool require_output,
                                     CallStats* stats) const {
  // Only when asked for: reading the clock is a few percent of a fresh
  // instance's call on a VM whose clock source is slow.
  const auto started = stats ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  // Which export.
  std::string export_name(requested);
  if (export_name.empty()) {
    std::optional<std::string> entry = default_entry();
    if (!entry)
      throw PluginError(Kind::NotFound, name, "", "has no callable entry point; expected one of: execute, run, _start, main");
    export_name = std::move(*entry);
  }
  const ExportInfo* exp = module->find_export(export_name);
  if (!exp || exp->kind != ExternKind::Func) {
    std::string names;
    for (const auto& e : exports) names += (names.empty() ? "" : ", ") + e.name;
    throw PluginError(Kind::NotFound, name, export_name, fmt::format("no such export (exports: {})", names.empty() ? "none" : names));
  }
  if (!plugin::abi_callable(exp->type)) {
    throw PluginError(Kind::BadExport, name, export_name,
                      fmt::format("has type {}; plugin exports must be () -> i32 or () -> () (docs/plugin-abi.md)", exp->type.to_string()));
  }

  auto fail_on_trap = [&](const Outcome& o, Store& store, const char* phase) {
    const TrapInfo& t = o.trap;
    std::string what = phase ? fmt::format("{}: {}", phase, t.to_string()) : t.to_string();
    Kind kind = Kind::Trap;
    if (t.kind == TrapKind::FuelExhausted) {
      kind = Kind::Fuel;
      what = fmt::format("fuel limit of {} exhausted ({})", options.limits.fuel.value_or(0), what);
    } else if (t.kind == TrapKind::DeadlineExceeded) {
      kind = Kind::Timeout;
      what = fmt::format("timed out after {} ms ({})",
                         std::chrono::duration_cast<std::chrono::milliseconds>(options.limits.timeout).count(), what);
    } else if (store.memory_limit_hit()) {
      kind = Kind::Memory;
      what = fmt::format("memory limit of {} bytes reached ({})", options.limits.max_memory_bytes, what);
    }
    throw PluginError(kind, name, export_name, what);
  };

  // The instance: fresh, or the warm one.
  std::unique_lock<std::mutex> warm_lock;
  std::unique_ptr<WarmInstance> fresh;
  WarmInstance* wi = nullptr;
  if (options.keep_warm) {
    warm_lock = std::unique_lock(warm_mu);
    if (!warm) warm = std::make_unique<WarmInstance>();
    wi = warm.get();
  } else {
    fresh = std::make_unique<WarmInstance>();
    wi = fresh.get();
  }
  bool created = false;
  if (!wi->instance) {
    wi->instance.reset();
    wi->store = std::make_unique<Store>(const_cast<Engine&>(engine), store_limits(options.limits));
    wi->context = std::make_shared<plugin::CallContext>();
    wi->context->plugin = name;
    wi->context->capabilities = &options.capabilities;
    wi->context->limits = &options.limits;
    wi->context->log = &options.log;
    wi->store->set_host_state(wi->context);
    try {
      if (uses_wasi) attach_wasi(*wi->store, plugin::wasi_config_for(options.capabilities, name, options.log));
      wi->instance.emplace(Instance::create(*wi->store, *module, linker));
    } catch (const PluginError&) {
      throw;
    } catch (const std::exception& e) {
      if (options.keep_warm) warm.reset();
      throw PluginError(Kind::Instantiate, name, export_name, e.what());
    }
    created = true;
  }
  Store& store = *wi->store;
  // A warm instance's Store counts fuel over its whole life, but the fuel
  // limit is per call: each call after the first counts from zero.
  if (!created) store.restart_fuel_count();
  plugin::CallContext& ctx = *wi->context;
  ctx.export_name = export_name;
  ctx.reset(std::move(input));
  // Any failure below discards a warm instance: its state is suspect. So
  // does an exit: an exited instance cannot be called again.
  struct DropWarmUnlessKept {
    const PluginImpl& p;
    bool keep = false;
    ~DropWarmUnlessKept() {
      if (!keep && p.options.keep_warm) p.warm.reset();
    }
  } drop{*this};

  // Declared after `drop`, so destroyed before it: the Store leaves `live`
  // before a dropped warm instance frees it, and interrupt_all() never
  // reaches a freed Store. (Nothing below may free the Store itself.)
  LiveGuard live(*this, &store);
  Instance& inst = *wi->instance;
  if (created) {
    if (inst.start_outcome().trapped()) fail_on_trap(inst.start_outcome(), store, "start function");
    if (has_initialize) {
      Outcome init = inst.call("_initialize");
      if (init.trapped()) fail_on_trap(init, store, "_initialize");
    }
  }
  Outcome o = inst.call(export_name);
  if (stats) {
    stats->export_name = export_name;
    stats->fuel_consumed = store.fuel_consumed();
    stats->memory_bytes = store.memory_bytes();
    stats->wall = std::chrono::steady_clock::now() - started;
  }
  // The denials kept (the first few) and how many more, then what the
  // plugin said unless it only repeated one.
  auto denial_message = [&](const std::string& reason) -> std::string {
    std::string d;
    bool repeated = false;
    for (const auto& m : ctx.denials) {
      d += (d.empty() ? "" : "; ") + m;
      repeated = repeated || reason == m;
    }
    if (ctx.denial_count > ctx.denials.size())
      d += fmt::format("; and {} more denied http_request calls", ctx.denial_count - ctx.denials.size());
    return repeated ? d : d + "; plugin reported: " + reason;
  };
  if (o.trapped()) fail_on_trap(o, store, nullptr);
  int status = 0;
  if (o.exited()) status = o.exit_code;
  else if (!o.results.empty()) status = o.results[0].as_i32();
  if (status != 0) {
    std::string reason = ctx.output_set && !ctx.output.empty() ? excerpt(ctx.output, 1000) : "(no message)";
    if (!ctx.denials.empty()) throw PluginError(Kind::Denied, name, export_name, denial_message(reason));
    if (o.exited()) throw PluginError(Kind::Exit, name, export_name, fmt::format("exited with code {}: {}", status, reason));
    throw PluginError(Kind::Failed, name, export_name, fmt::format("failed with status {}: {}", status, reason));
  }
  if (require_output && !ctx.output_set) {
    throw PluginError(Kind::BadOutput, name, export_name, "returned without setting an output (wasmlet.output_set)");
  }
  std::vector<uint8_t> output = std::move(ctx.output);
  drop.keep = !o.exited();
  return output;
}

}  // namespace detail

// ---------------------------------------------------------------- Plugin

const std::vector<std::string>& Plugin::entry_points() {
  static const std::vector<std::string> names = {"execute", "run", "_start", "main"};
  return names;
}

std::optional<std::string> Plugin::default_entry() const { return impl_->default_entry(); }

Plugin::Plugin(std::unique_ptr<detail::PluginImpl> impl) : impl_(std::move(impl)) {}
Plugin::~Plugin() = default;

const PluginMetadata& Plugin::metadata() const { return impl_->metadata; }
const std::string& Plugin::name() const { return impl_->name; }
const std::vector<PluginExport>& Plugin::exports() const { return impl_->exports; }
const Capabilities& Plugin::capabilities() const { return impl_->options.capabilities; }
const PluginLimits& Plugin::limits() const { return impl_->options.limits; }
bool Plugin::warm() const { return impl_->options.keep_warm; }
bool Plugin::uses_wasi() const { return impl_->uses_wasi; }

namespace {
// The parser's message for text that json::accept refused. nlohmann's
// lexer takes a NUL byte for the end of the input, so `{"a":1}\0garbage`
// would pass: JSON never holds a raw U+0000, so one is refused first.
template <typename It>
std::string json_error(It begin, It end) {
  if (const auto nul = std::find(begin, end, 0); nul != end)
    return fmt::format("byte {} is a NUL, which JSON text cannot hold", nul - begin);
  try {
    (void)nlohmann::json::parse(begin, end).is_null();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "invalid JSON";
}

// Checks that the output is UTF-8 and JSON; parses it only if `value` is given
// (the validating scans allocate nothing; the parser's accept() decides only
// what the fast scan leaves open).
void check_output(const detail::PluginImpl& impl, const std::string& export_name, std::span<const uint8_t> out,
                  nlohmann::json* value) {
  size_t bad = 0;
  if (!util::valid_utf8(out, &bad)) {
    throw PluginError(PluginError::Kind::BadOutput, impl.name, export_name,
                      fmt::format("output is not valid UTF-8 (byte {} of {}): {}", bad, out.size(), detail::excerpt(out)));
  }
  const bool has_nul = std::find(out.begin(), out.end(), 0) != out.end();
  if (value && !has_nul) {
    // A value goes to the embedding program, whose copies and dump()s of it
    // recurse per level: too deep a value would overflow its stack.
    util::UntrustedJson parsed =
        util::try_parse_untrusted_json({reinterpret_cast<const char*>(out.data()), out.size()}, Plugin::kMaxOutputJsonDepth);
    if (parsed.problem.empty()) {
      *value = std::move(parsed.value);
      return;
    }
    if (parsed.problem.starts_with("nests")) {
      throw PluginError(PluginError::Kind::BadOutput, impl.name, export_name,
                        fmt::format("output {}: {}", parsed.problem, detail::excerpt(out)));
    }
  }
  bool ok = !has_nul && !value && (plugin::surely_valid_json(out) || nlohmann::json::accept(out.begin(), out.end()));
  if (!ok) {
    throw PluginError(PluginError::Kind::BadOutput, impl.name, export_name,
                      fmt::format("output is not valid JSON ({}): {}", json_error(out.begin(), out.end()), detail::excerpt(out)));
  }
}
}  // namespace

std::string Plugin::call_json(std::string_view export_name, std::string_view json_text, CallStats* stats) const {
  std::span<const uint8_t> in(reinterpret_cast<const uint8_t*>(json_text.data()), json_text.size());
  size_t bad = 0;
  if (!util::valid_utf8(in, &bad)) {
    throw PluginError(PluginError::Kind::InvalidInput, impl_->name, std::string(export_name),
                      fmt::format("input is not valid UTF-8 (byte {})", bad));
  }
  if (!plugin::surely_valid_json(in) &&
      (json_text.find('\0') != std::string_view::npos || !nlohmann::json::accept(json_text))) {
    throw PluginError(PluginError::Kind::InvalidInput, impl_->name, std::string(export_name),
                      fmt::format("input is not valid JSON: {}", json_error(json_text.begin(), json_text.end())));
  }
  CallStats local;
  CallStats* st = stats ? stats : &local;
  std::vector<uint8_t> out = impl_->run(export_name, std::vector<uint8_t>(in.begin(), in.end()), true, st);
  check_output(*impl_, st->export_name, out, nullptr);
  return std::string(out.begin(), out.end());
}

nlohmann::json Plugin::call(std::string_view export_name, const nlohmann::json& input, CallStats* stats) const {
  // A json value always serializes to valid JSON (invalid UTF-8 in its strings is replaced).
  std::string text = input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  CallStats local;
  CallStats* st = stats ? stats : &local;
  std::vector<uint8_t> out = impl_->run(export_name, std::vector<uint8_t>(text.begin(), text.end()), true, st);
  nlohmann::json value;
  check_output(*impl_, st->export_name, out, &value);
  return value;
}

std::vector<uint8_t> Plugin::call(std::string_view export_name, std::span<const uint8_t> input, CallStats* stats) const {
  return impl_->run(export_name, std::vector<uint8_t>(input.begin(), input.end()), false, stats);
}

void Plugin::interrupt_all() const {
  std::lock_guard lock(impl_->live_mu);
  for (Store* s : impl_->live) s->interrupt();
}

}  // namespace wasmlet
