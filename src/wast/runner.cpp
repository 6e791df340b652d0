#include "wast/runner.h"

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <tuple>
#include <variant>

#include <fmt/format.h>

#include "engine/fast/fast_tier.h"
#include "engine/tier.h"
#include "wabt/cast.h"
#include "wabt/ir.h"
#include "wast/spectest.h"
#include "wast/trap_match.h"
#include "wast/values.h"
#include "wasmlet/error.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/store.h"

namespace wasmlet::wast {
namespace {

// A module a command defined: its instance, and the tier it runs in (an
// item of one tier cannot be linked into an instance of the other).
struct LoadedModule {
  std::optional<Instance> instance;  // empty if it did not load
  bool native = false;
  int line = 0;
};

// The result of running an action: an outcome, or why the call could not be made.
struct ActionResult {
  std::optional<Outcome> outcome;
  std::string error;
};

// A module compiled for a command, with the notes the engine gave.
struct Compiled {
  std::optional<Module> module;
  bool native = false;
  std::string error;
};

int line_of(const wabt::Command& command) {
  using wabt::CommandType;
  switch (command.type) {
    case CommandType::Module: return wabt::cast<wabt::ModuleCommand>(&command)->module.loc.line;
    case CommandType::ScriptModule:
      return wabt::cast<wabt::ScriptModuleCommand>(&command)->script_module->location().line;
    case CommandType::Action: return wabt::cast<wabt::ActionCommand>(&command)->action->loc.line;
    case CommandType::Register: return wabt::cast<wabt::RegisterCommand>(&command)->var.loc.line;
    case CommandType::AssertReturn: return wabt::cast<wabt::AssertReturnCommand>(&command)->action->loc.line;
    case CommandType::AssertTrap: return wabt::cast<wabt::AssertTrapCommand>(&command)->action->loc.line;
    case CommandType::AssertExhaustion: return wabt::cast<wabt::AssertExhaustionCommand>(&command)->action->loc.line;
    case CommandType::AssertException: return wabt::cast<wabt::AssertExceptionCommand>(&command)->action->loc.line;
    case CommandType::AssertMalformed:
      return wabt::cast<wabt::AssertMalformedCommand>(&command)->module->location().line;
    case CommandType::AssertInvalid: return wabt::cast<wabt::AssertInvalidCommand>(&command)->module->location().line;
    case CommandType::AssertUnlinkable:
      return wabt::cast<wabt::AssertUnlinkableCommand>(&command)->module->location().line;
    case CommandType::AssertUninstantiable:
      return wabt::cast<wabt::AssertUninstantiableCommand>(&command)->module->location().line;
  }
  return 0;
}

const char* name_of(wabt::CommandType type) {
  using wabt::CommandType;
  switch (type) {
    case CommandType::Module:
    case CommandType::ScriptModule: return "module";
    case CommandType::Action: return "action";
    case CommandType::Register: return "register";
    case CommandType::AssertReturn: return "assert_return";
    case CommandType::AssertTrap: return "assert_trap";
    case CommandType::AssertExhaustion: return "assert_exhaustion";
    case CommandType::AssertException: return "assert_exception";
    case CommandType::AssertMalformed: return "assert_malformed";
    case CommandType::AssertInvalid: return "assert_invalid";
    case CommandType::AssertUnlinkable: return "assert_unlinkable";
    case CommandType::AssertUninstantiable: return "assert_uninstantiable";
  }
  return "command";
}

// A module that imports global "m"."g" of `type` and returns its value from
// "get": how `get` reads a global through the public API in either tier.
std::vector<uint8_t> global_reader_module(ValType type, bool is_mutable) {
  const uint8_t code = [&] {
    switch (type) {
      case ValType::I32: return 0x7f;
      case ValType::I64: return 0x7e;
      case ValType::F32: return 0x7d;
      case ValType::F64: return 0x7c;
      case ValType::V128: return 0x7b;
      case ValType::FuncRef: return 0x70;
      case ValType::ExternRef: return 0x6f;
    }
    return 0x7f;
  }();
  return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
          0x01, 0x05, 0x01, 0x60, 0x00, 0x01, code,                                       // type () -> T
          0x02, 0x08, 0x01, 0x01, 'm',  0x01, 'g',  0x03, code, uint8_t(is_mutable),     // import global m.g
          0x03, 0x02, 0x01, 0x00,                                                         // func 0: type 0
          0x07, 0x07, 0x01, 0x03, 'g',  'e',  't',  0x00, 0x00,                           // export "get"
          0x0a, 0x06, 0x01, 0x04, 0x00, 0x23, 0x00, 0x0b};                                // global.get 0
}

class ScriptRunner {
 public:
  ScriptRunner(const RunOptions& options, const EventSink& sink, std::string file, const ModuleSources& sources,
               bool multi_memory)
      : file_(std::move(file)),
        hot_code_dir_(options.hot_code_dir),
        sources_(sources),
        sink_(sink),
        engine_(config(options, options.tier, multi_memory)),
        interp_engine_(config(options, Tier::Interpreter, multi_memory)),
        store_(engine_, StoreLimits{std::nullopt, std::nullopt, options.call_timeout}) {}

  void run(const wabt::Script& script) {
    for (size_t index = 0; index < script.commands.size(); ++index) {
      const wabt::Command& command = *script.commands[index];
      line_ = line_of(command);
      command_ = name_of(command.type);
      sink_({Event::Kind::Start, line_, command_, {}});
      std::optional<std::string> failure;
      try {
        failure = execute(command, static_cast<wabt::Index>(index));
      } catch (const std::exception& e) {
        failure = fmt::format("unexpected error: {}", e.what());
      }
      if (failure) sink_({Event::Kind::Fail, line_, command_, *failure});
      else sink_({Event::Kind::Pass, line_, command_, {}});
    }
  }

 private:
  EngineConfig config(const RunOptions& options, Tier tier, bool multi_memory) {
    EngineConfig c;
    c.multi_memory = multi_memory;
    // Tier::Auto with no size limit: compile every module now, and run in
    // the interpreter (with a note, reported as a Fallback) whatever the
    // AOT tier cannot compile, instead of failing the command.
    c.tier = tier == Tier::Aot ? Tier::Auto : tier;
    c.auto_compile_max_bytes = UINT64_MAX;
    c.cache_dir = options.cache_dir;
    c.aot_opt_level = options.aot_opt_level;
    c.on_note = [this](const std::string& note) { notes_.push_back(note); };
    c.on_progress = [](const std::string&) {};
    return c;
  }

  std::optional<std::string> execute(const wabt::Command& command, wabt::Index index) {
    using wabt::CommandType;
    switch (command.type) {
      case CommandType::Module: {
        const auto& m = wabt::cast<wabt::ModuleCommand>(&command)->module;
        return define_module(module_bytes(m), m.name, index);
      }
      case CommandType::ScriptModule: {
        const auto* c = wabt::cast<wabt::ScriptModuleCommand>(&command);
        return define_module(module_bytes(*c->script_module, sources_), c->module.name, index);
      }
      case CommandType::Register: return register_module(*wabt::cast<wabt::RegisterCommand>(&command));
      case CommandType::Action: {
        auto result = perform(*wabt::cast<wabt::ActionCommand>(&command)->action);
        if (!result.outcome) return result.error;
        if (result.outcome->trapped()) return fmt::format("trapped: {}", result.outcome->trap.to_string());
        if (result.outcome->exited()) return fmt::format("exited with code {}", result.outcome->exit_code);
        return std::nullopt;
      }
      case CommandType::AssertReturn: {
        const auto* c = wabt::cast<wabt::AssertReturnCommand>(&command);
        return check_return(perform(*c->action), *c->expected);
      }
      case CommandType::AssertTrap: {
        const auto* c = wabt::cast<wabt::AssertTrapCommand>(&command);
        return check_trap(perform(*c->action), c->text);
      }
      case CommandType::AssertExhaustion: {
        const auto* c = wabt::cast<wabt::AssertExhaustionCommand>(&command);
        return check_trap(perform(*c->action), c->text);
      }
      case CommandType::AssertException: return "assert_exception is not supported (exception handling)";
      case CommandType::AssertMalformed:
        return check_rejected(*wabt::cast<wabt::AssertMalformedCommand>(&command)->module,
                              wabt::cast<wabt::AssertMalformedCommand>(&command)->text, "malformed");
      case CommandType::AssertInvalid:
        return check_rejected(*wabt::cast<wabt::AssertInvalidCommand>(&command)->module,
                              wabt::cast<wabt::AssertInvalidCommand>(&command)->text, "invalid");
      case CommandType::AssertUnlinkable: {
        const auto* c = wabt::cast<wabt::AssertUnlinkableCommand>(&command);
        return check_not_instantiable(*c->module, c->text, /*link_error=*/true);
      }
      case CommandType::AssertUninstantiable: {
        const auto* c = wabt::cast<wabt::AssertUninstantiableCommand>(&command);
        return check_not_instantiable(*c->module, c->text, /*link_error=*/false);
      }
    }
    return "unknown command";
  }

  // Compiles a module of the script for the requested tier; a note from the
  // engine means it runs in the interpreter instead.
  Compiled compile(const std::vector<uint8_t>& bytes, Engine& engine) {
    Compiled compiled;
    notes_.clear();
    try {
      compiled.module.emplace(Module::compile(engine, bytes, fmt::format("{}:{}", file_, line_)));
    } catch (const CompileError& e) {
      compiled.error = e.what();
      return compiled;
    }
    compiled.native = engine.config().tier != Tier::Interpreter && notes_.empty();
    if (!hot_code_dir_.empty() && engine.config().tier == Tier::Interpreter)
      detail::use_hot_code(*compiled.module, {},
                           hot_code_dir_ / fmt::format("{}-line{}-{}", std::filesystem::path(file_).stem().string(),
                                                       line_, hot_builds_++));
    if (&engine == &engine_)
      for (const auto& note : notes_) sink_({Event::Kind::Fallback, line_, command_, note});
    return compiled;
  }

  // Compiles for the requested tier, except that a module importing a
  // memory, table or global of a registered module that runs in the
  // interpreter must run there too (items are not shared across tiers).
  Compiled compile_linkable(const std::vector<uint8_t>& bytes) {
    Compiled compiled = compile(bytes, engine_);
    if (!compiled.module || !compiled.native) return compiled;
    for (const auto& import : compiled.module->imports()) {
      auto it = registered_.find({import.module, import.name});
      if (import.kind == ExternKind::Func || it == registered_.end() || it->second.second) continue;
      Compiled interpreted = compile(bytes, interp_engine_);
      sink_({Event::Kind::Fallback, line_, command_,
             fmt::format("running in the interpreter: it imports {}.{}, a {} of a module that runs there", import.module,
                         import.name, to_string(import.kind))});
      return interpreted;
    }
    return compiled;
  }

  Instance& spectest_instance(bool native) {
    auto& slot = native ? spectest_native_ : spectest_interp_;
    if (!slot) {
      Linker linker;
      slot.emplace(Instance::create(store_, compile_spectest_items(native ? engine_ : interp_engine_), linker));
    }
    return *slot;
  }

  // Spectest, then every registered module's exports.
  Linker linker_for(const Module& module, bool native) {
    Linker linker;
    define_spectest_functions(linker);
    for (const auto& import : module.imports()) {
      if (import.module != "spectest" || import.kind == ExternKind::Func) continue;
      if (auto item = spectest_instance(native).get_export(import.name)) linker.define("spectest", import.name, *item);
    }
    for (const auto& [key, item] : registered_) linker.define(key.first, key.second, item.first);
    return linker;
  }

  std::optional<std::string> define_module(const ModuleBytes& bytes, const std::string& name, wabt::Index index) {
    auto loaded = std::make_shared<LoadedModule>();
    loaded->line = line_;
    // A module that fails still takes its name and index: later commands
    // naming it fail with "did not load" rather than reach an older module.
    modules_by_command_[index] = loaded;
    if (!name.empty()) modules_by_name_[name] = loaded;
    last_ = loaded;
    if (bytes.error) return fmt::format("the module does not parse: {}", *bytes.error);
    Compiled compiled = compile_linkable(bytes.bytes);
    if (!compiled.module) return fmt::format("the module does not compile: {}", compiled.error);
    try {
      Instance instance = Instance::create(store_, *compiled.module, linker_for(*compiled.module, compiled.native));
      if (instance.start_outcome().trapped())
        return fmt::format("its start function trapped: {}", instance.start_outcome().trap.to_string());
      loaded->instance.emplace(std::move(instance));
      loaded->native = compiled.native;
    } catch (const Error& e) {
      return fmt::format("the module does not instantiate: {}", e.what());
    }
    return std::nullopt;
  }

  std::shared_ptr<LoadedModule> find_module(const wabt::Var& var) {
    if (var.is_name()) {
      auto it = modules_by_name_.find(var.name());
      return it == modules_by_name_.end() ? nullptr : it->second;
    }
    auto it = modules_by_command_.find(var.index());
    return it == modules_by_command_.end() ? nullptr : it->second;
  }

  // The module an action or register names, or the reason it cannot be used.
  std::variant<Instance*, std::string> usable_module(const wabt::Var& var) {
    auto loaded = find_module(var);
    if (!loaded) return std::string("no module is defined before this command");
    if (!loaded->instance) return fmt::format("the module defined at line {} did not load", loaded->line);
    return &*loaded->instance;
  }

  std::optional<std::string> register_module(const wabt::RegisterCommand& command) {
    auto module = usable_module(command.var);
    if (auto* error = std::get_if<std::string>(&module)) return *error;
    Instance& instance = *std::get<Instance*>(module);
    const bool native = find_module(command.var)->native;
    for (const auto& e : instance.module().exports()) {
      if (auto item = instance.get_export(e.name))
        registered_.insert_or_assign({command.module_name, e.name}, std::make_pair(*item, native));
    }
    return std::nullopt;
  }

  ActionResult perform(const wabt::Action& action) {
    auto module = usable_module(action.module_var);
    if (auto* error = std::get_if<std::string>(&module)) return {std::nullopt, *error};
    Instance& instance = *std::get<Instance*>(module);
    try {
      if (action.type() == wabt::ActionType::Invoke) {
        std::vector<Value> args;
        for (const auto& c : wabt::cast<wabt::InvokeAction>(&action)->args) {
          auto v = to_value(c);
          if (!v)
            return {std::nullopt, fmt::format("unsupported argument {}: a host cannot make a function reference",
                                              describe(c))};
          args.push_back(*v);
        }
        return {instance.call(action.name, args), {}};
      }
      return read_global(instance, action.name, find_module(action.module_var)->native);
    } catch (const Error& e) {
      return {std::nullopt, e.what()};
    }
  }

  ActionResult read_global(Instance& instance, const std::string& name, bool native) {
    auto global = instance.get_export(name);
    if (!global || global->kind() != ExternKind::Global)
      return {std::nullopt, fmt::format("the module has no global export \"{}\"", name)};
    const ExternType type = global->type();
    auto key = std::make_tuple(type.value_type, type.mutable_global, native);
    auto it = global_readers_.find(key);
    if (it == global_readers_.end()) {
      Module reader = Module::compile(native ? engine_ : interp_engine_,
                                      global_reader_module(type.value_type, type.mutable_global), "global reader");
      it = global_readers_.emplace(key, std::move(reader)).first;
    }
    Linker linker;
    linker.define("m", "g", *global);
    Instance reader = Instance::create(store_, it->second, linker);
    return {reader.call("get"), {}};
  }

  std::optional<std::string> check_return(const ActionResult& result, const wabt::Expectation& expected) {
    if (!result.outcome) return result.error;
    const Outcome& o = *result.outcome;
    if (o.trapped()) return fmt::format("trapped: {}", o.trap.to_string());
    if (o.exited()) return fmt::format("exited with code {}", o.exit_code);
    if (expected.type() == wabt::ExpectationType::Either) {
      for (const auto& alternative : expected.expected)
        if (o.results.size() == 1 && matches(alternative, o.results[0])) return std::nullopt;
      std::string wanted;
      for (const auto& alternative : expected.expected) wanted += (wanted.empty() ? "" : " or ") + describe(alternative);
      return fmt::format("got {}, expected {}", describe(o.results), wanted);
    }
    bool ok = o.results.size() == expected.expected.size();
    for (size_t i = 0; ok && i < o.results.size(); ++i) ok = matches(expected.expected[i], o.results[i]);
    if (ok) return std::nullopt;
    std::string got = "(", wanted = "(";
    for (size_t i = 0; i < o.results.size(); ++i)
      got += (i ? " " : "") + describe(o.results[i], i < expected.expected.size() ? &expected.expected[i] : nullptr);
    for (size_t i = 0; i < expected.expected.size(); ++i) wanted += (i ? " " : "") + describe(expected.expected[i]);
    return fmt::format("got {}), expected {})", got, wanted);
  }

  std::optional<std::string> check_trap(const ActionResult& result, const std::string& expected) {
    if (!result.outcome) return result.error;
    const Outcome& o = *result.outcome;
    if (o.returned()) return fmt::format("returned {}, expected a trap \"{}\"", describe(o.results), expected);
    if (o.exited()) return fmt::format("exited with code {}, expected a trap \"{}\"", o.exit_code, expected);
    if (!trap_matches(expected, o.trap))
      return fmt::format("trapped with \"{}\", expected \"{}\"", o.trap.to_string(), expected);
    return std::nullopt;
  }

  // assert_invalid / assert_malformed: the module must be rejected when it
  // is read or validated (compiled for the interpreter: no native code is needed).
  std::optional<std::string> check_rejected(const wabt::ScriptModule& module, const std::string& expected,
                                            const char* what) {
    ModuleBytes bytes = module_bytes(module, sources_);
    if (bytes.error) return std::nullopt;  // a quoted text that does not parse is malformed
    Compiled compiled = compile(bytes.bytes, interp_engine_);
    if (compiled.module) return fmt::format("the module compiled, expected it to be {} (\"{}\")", what, expected);
    return std::nullopt;
  }

  // assert_unlinkable / assert_uninstantiable: the module compiles but its
  // instantiation fails (a link error, or a trap while initialising).
  std::optional<std::string> check_not_instantiable(const wabt::ScriptModule& module, const std::string& expected,
                                                    bool link_error) {
    ModuleBytes bytes = module_bytes(module, sources_);
    if (bytes.error) return fmt::format("the module does not parse: {}", *bytes.error);
    Compiled compiled = compile_linkable(bytes.bytes);
    if (!compiled.module) return fmt::format("the module does not compile: {}", compiled.error);
    try {
      Instance instance = Instance::create(store_, *compiled.module, linker_for(*compiled.module, compiled.native));
      if (instance.start_outcome().trapped()) {
        if (!link_error) return std::nullopt;
        return fmt::format("its start function trapped ({}), expected a link error \"{}\"",
                           instance.start_outcome().trap.to_string(), expected);
      }
    } catch (const LinkError&) {
      return std::nullopt;
    } catch (const Error& e) {
      if (!link_error) return std::nullopt;
      return fmt::format("instantiation failed with \"{}\", expected a link error \"{}\"", e.what(), expected);
    }
    return fmt::format("the module instantiated, expected \"{}\"", expected);
  }

  std::string file_;
  std::filesystem::path hot_code_dir_;
  int hot_builds_ = 0;
  const ModuleSources& sources_;  // what the script's placeholder modules stand for
  const EventSink& sink_;
  std::vector<std::string> notes_;
  Engine engine_;
  Engine interp_engine_;
  Store store_;
  std::map<std::tuple<ValType, bool, bool>, Module> global_readers_;
  std::optional<Instance> spectest_native_, spectest_interp_;
  std::map<wabt::Index, std::shared_ptr<LoadedModule>> modules_by_command_;
  std::map<std::string, std::shared_ptr<LoadedModule>> modules_by_name_;
  std::shared_ptr<LoadedModule> last_;
  // Registered exports, and whether each lives in the AOT tier.
  std::map<std::pair<std::string, std::string>, std::pair<Extern, bool>> registered_;
  int line_ = 0;
  const char* command_ = "";
};

}  // namespace

void run_script(const ParsedScript& parsed, const RunOptions& options, const EventSink& sink) {
  if (!parsed.script) {
    for (const auto& error : parsed.errors) sink({Event::Kind::Fail, 0, "parse", error});
    return;
  }
  // The core files test WebAssembly 2.0's encoding, where a memory index is a
  // zero byte; the multi-memory proposal's files need several memories.
  const bool multi_memory = parsed.filename->find("multi-memory") != std::string::npos;
  ScriptRunner runner(options, sink, std::filesystem::path(*parsed.filename).filename().string(), parsed.sources,
                      multi_memory);
  runner.run(*parsed.script);
}

void run_file(const std::filesystem::path& file, const RunOptions& options, const EventSink& sink) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    sink({Event::Kind::Fail, 0, "read", fmt::format("cannot open {}", file.string())});
    return;
  }
  std::vector<uint8_t> text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  run_script(parse_script(text, file.string()), options, sink);
}

FileResult run_file(const std::filesystem::path& file, const RunOptions& options) {
  FileResult result;
  result.file = file.string();
  run_file(file, options, [&](const Event& e) { result.add(e); });
  return result;
}

}  // namespace wasmlet::wast
