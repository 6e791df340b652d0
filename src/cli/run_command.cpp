// `wasmlet run`: run a WASI program with wasmtime-compatible flags.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/host_port.h"
#include "cli/run_options.h"
#include "engine/aot/aot_tier.h"
#include "engine/aot/artifact_cache.h"
#include "engine/aot/background_compile.h"
#include "engine/hot/hot_cache.h"
#include "wasmlet/byte_size.h"
#include "wasmlet/component/component.h"
#include "wasmlet/duration.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/instance.h"
#include "wasmlet/linker.h"
#include "wasmlet/module.h"
#include "wasmlet/program.h"
#include "wasmlet/store.h"
#include "wasmlet/wasi.h"
#include "wasmlet/wasi_command.h"
#include "util/file_bytes.h"

extern char** environ;

namespace wasmlet::cli {

namespace {

// The most a wasm32 linear memory can address.
constexpr uint64_t kWasm32MemoryBytes = uint64_t(1) << 32;

// "HOST[::GUEST]": the guest path defaults to the host path, as in wasmtime.
Preopen parse_dir(const std::string& spec, bool read_only) {
  auto sep = spec.find("::");
  Preopen p;
  p.host_path = spec.substr(0, sep);
  p.guest_path = sep == std::string::npos ? spec : spec.substr(sep + 2);
  p.read_only = read_only;
  if (p.host_path.empty() || p.guest_path.empty())
    throw UsageError(fmt::format("invalid directory mapping '{}': expected HOST[::GUEST]", spec));
  return p;
}

// wasmtime's older spelling "GUEST::HOST" (--mapdir).
Preopen parse_mapdir(const std::string& spec) {
  auto sep = spec.find("::");
  if (sep == std::string::npos || sep == 0 || sep + 2 == spec.size())
    throw UsageError(fmt::format("invalid --mapdir '{}': expected GUEST::HOST", spec));
  return Preopen{spec.substr(sep + 2), spec.substr(0, sep), false};
}

// "KEY=VALUE", or "KEY" to pass the host's value through.
std::string parse_env(const std::string& spec) {
  if (spec.empty() || spec[0] == '=') throw UsageError(fmt::format("invalid --env '{}': expected KEY=VALUE", spec));
  if (spec.find('=') != std::string::npos) return spec;
  const char* value = std::getenv(spec.c_str());
  if (!value) throw UsageError(fmt::format("--env {}: the variable is not set in wasmlet's environment", spec));
  return spec + "=" + value;
}

// "HOST:PORT" -> a listening TCP socket passed to the guest (wasmtime's --tcplisten).
int open_listener(const std::string& spec) {
  HostPort hp = parse_host_port(spec, "--tcplisten", "127.0.0.1:8080");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, hp.host.c_str(), &addr.sin_addr) != 1)
    throw UsageError(fmt::format("invalid --tcplisten '{}': expected an IPv4 address and a port, e.g. 127.0.0.1:8080", spec));
  addr.sin_port = htons(hp.port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    throw UsageError(fmt::format("--tcplisten {}: cannot listen: {}", spec, std::strerror(err)));
  }
  return fd;
}

// Parses --invoke arguments according to the function's parameter types.
std::vector<Value> parse_invoke_args(const ExportInfo& fn, const std::vector<std::string>& args) {
  if (args.size() != fn.type.params.size())
    throw UsageError(fmt::format("--invoke {}: the function takes {} argument(s) {}, {} given", fn.name,
                                 fn.type.params.size(), fn.type.to_string(), args.size()));
  std::vector<Value> values;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    size_t used = 0;
    try {
      switch (fn.type.params[i]) {
        case ValType::I32: values.push_back(Value::i32(static_cast<int32_t>(std::stoll(a, &used, 0)))); break;
        case ValType::I64: values.push_back(Value::i64(std::stoll(a, &used, 0))); break;
        case ValType::F32: values.push_back(Value::f32(std::stof(a, &used))); break;
        case ValType::F64: values.push_back(Value::f64(std::stod(a, &used))); break;
        default: throw UsageError(fmt::format("--invoke {}: parameter {} has type {}, which cannot be given on the command line",
                                              fn.name, i, to_string(fn.type.params[i])));
      }
    } catch (const std::logic_error&) {
      used = 0;
    }
    if (used != a.size())
      throw UsageError(fmt::format("--invoke {}: argument {} '{}' is not a valid {}", fn.name, i, a, to_string(fn.type.params[i])));
  }
  return values;
}

// The limits as the user typed them, for a trap's message.
LimitSettings limit_settings(const RunOptions& opts) {
  auto flag = [](const char* name, const std::string& value) {
    return value.empty() ? std::string() : fmt::format("{} {}", name, value);
  };
  std::string memory = opts.max_memory.empty() && opts.max_memory_bytes
                           ? fmt::format("-W max-memory-size={}", *opts.max_memory_bytes)
                           : flag("--max-memory", opts.max_memory);
  return LimitSettings{flag("--fuel", opts.fuel), flag("--timeout", opts.timeout), memory};
}

// The exit status of a finished run; what the user must know goes to stderr.
int report_status(const Outcome& outcome, const Store& store, const RunOptions& opts) {
  CommandStatus status = command_status(outcome, store, limit_settings(opts));
  if (!status.message.empty()) std::cerr << fmt::format("wasmlet: error: {}: {}\n", opts.module, status.message);
  return status.status;
}

// The program's bytes: the file, else the image the reference names
// (pulled per --pull). Errors name what the user typed.
std::vector<uint8_t> load_program(const RunOptions& opts) {
  if (!names_a_file(opts.module)) {
    if (!pull_image_hook) hand_over_to_full();  // `wasmlet` has no registry client
    return pull_image_hook(opts);
  }
  std::error_code ec;
  if (std::filesystem::is_directory(opts.module, ec))
    throw UsageError(fmt::format("cannot run '{}': it is a directory, not a WebAssembly module", opts.module));
  std::vector<uint8_t> bytes;
  if (!util::read_file_bytes(opts.module, bytes))
    throw UsageError(fmt::format("cannot open module '{}': {}", opts.module, std::strerror(errno)));
  return bytes;
}

// The guest's stdin: wasmlet's own by default (as wasmtime does), a file
// with --stdin FILE, nothing with --no-stdin.
void set_stdin(WasiConfig& wasi, const RunOptions& opts) {
  if (opts.no_stdin) return;
  if (!opts.stdin_source.empty() && opts.stdin_source != "-") {
    wasi.stdin_file = opts.stdin_source;
    return;
  }
  if (::fcntl(STDIN_FILENO, F_GETFD) < 0) return;  // wasmlet was started with stdin closed
  wasi.stdin_fd = STDIN_FILENO;
}

StoreLimits store_limits(const RunOptions& opts) {
  StoreLimits limits;
  std::optional<uint64_t> memory = opts.max_memory_bytes;
  if (!opts.max_memory.empty()) memory = parse_byte_size(opts.max_memory);
  if (memory && *memory > kWasm32MemoryBytes) {
    std::cerr << fmt::format("wasmlet: note: --max-memory {} is more than the 4Gi a wasm32 memory can address; "
                             "the limit is 4Gi\n", opts.max_memory.empty() ? std::to_string(*memory) : opts.max_memory);
    memory = kWasm32MemoryBytes;
  }
  limits.max_memory_bytes = memory;
  if (!opts.timeout.empty()) limits.timeout = timeout_option(opts.timeout, "no limit");
  if (!opts.fuel.empty()) limits.fuel = fuel_option(opts.fuel);
  return limits;
}

int run(const RunOptions& opts) {
  StoreLimits limits = store_limits(opts);

  WasiConfig wasi;
  wasi.args.push_back(opts.argv0.empty() ? opts.module : opts.argv0);
  wasi.args.insert(wasi.args.end(), opts.args.begin(), opts.args.end());
  wasi.env = guest_env(opts);
  wasi.preopens = guest_preopens(opts);
  std::vector<uint8_t> bytes = load_program(opts);

  EngineConfig config;
  config.tier = tier_option(opts.tier);
  if (opts.verbose) config.on_note = [](const std::string& note) { std::cerr << "wasmlet: note: " << note << "\n"; };
  Engine engine(config);
  Program program = Program::compile(engine, bytes, opts.module);
  // Each ABI has its own way to reach the network; refuse the other's flag
  // rather than run without the socket the user meant to give.
  if (program.is_component() && !opts.listeners.empty())
    throw UsageError(fmt::format("{}: --tcplisten passes a listening socket as a preview1 fd; a WASI 0.2 component "
                                 "opens its own sockets through wasi:sockets (use --allow-sockets)", opts.module));
  if (!program.is_component() && opts.allow_sockets && !opts.network_from_wasmtime)
    throw UsageError(fmt::format("{}: --allow-sockets lets a WASI 0.2 component use wasi:sockets; a preview1 module "
                                 "cannot create sockets (pass it a listener with --tcplisten HOST:PORT)", opts.module));
  if (program.is_component() && !opts.invoke.empty())
    throw UsageError(fmt::format("{}: --invoke applies to core modules; a component runs its wasi:cli/run export",
                                 opts.module));
  if (opts.verbose && program.module())
    std::cerr << fmt::format("wasmlet: note: {}: runs as {}\n", opts.module,
                             detail::aot::runs_native(*program.module()) ? "native code (the aot tier)"
                                                                         : "interpreted code (the interp tier)");
  set_stdin(wasi, opts);
  for (const auto& l : opts.listeners) wasi.listeners.push_back(open_listener(l));
  // A guest's write to a closed pipe is its own error (EPIPE), never the end
  // of wasmlet; ignoring SIGPIPE before the guest runs also spares each of
  // its writes the blocking of it (stream_io.cpp).
  ::signal(SIGPIPE, SIG_IGN);
  Store store(engine, limits);

  if (opts.invoke.empty()) {
    if (!program.is_component() && !program.entry())
      throw UsageError(bytes.size() == 8 ? fmt::format("{}: no entry point: the file holds only the 8-byte header, an "
                                                       "empty module (truncated?)", opts.module)
                                         : fmt::format("{}: no entry point: the module exports neither '_start' nor "
                                                       "'main' (use --invoke NAME to call another export)", opts.module));
    RunProgramOptions options;
    options.sockets.allow_sockets = opts.allow_sockets;
    return report_status(run_program(store, program, std::move(wasi), options), store, opts);
  }
  // --invoke NAME: call that export with the arguments as its parameters, print the results.
  const Module& module = *program.module();
  const ExportInfo* fn = module.find_export(opts.invoke);
  if (!fn || fn->kind != ExternKind::Func)
    throw UsageError(fmt::format("{}: --invoke {}: no exported function of that name", opts.module, opts.invoke));
  std::vector<Value> call_args = parse_invoke_args(*fn, opts.args);
  Linker linker;
  add_wasi_preview1(linker);
  attach_wasi(store, std::move(wasi));
  Instance instance = Instance::create(store, module, linker);
  Outcome outcome = instance.start_outcome().trapped() ? instance.start_outcome() : instance.call(opts.invoke, call_args);
  if (outcome.returned()) {
    for (const auto& v : outcome.results) std::cout << v.to_string() << "\n";
    return 0;
  }
  return report_status(outcome, store, opts);
}

}  // namespace

bool names_a_file(const std::string& module) {
  std::error_code ec;
  if (std::filesystem::exists(module, ec)) return true;
  return module.empty() || module.starts_with('/') || module.starts_with("./") || module.starts_with("../") ||
         module.ends_with(".wasm") || module.ends_with(".wat") || module.find_first_of(" \t") != std::string::npos;
}

// A later KEY replaces an earlier one.
std::vector<std::string> guest_env(const RunOptions& opts) {
  std::vector<std::string> env;
  std::map<std::string, size_t> index;
  auto add = [&](const std::string& kv) {
    std::string key = kv.substr(0, kv.find('='));
    if (auto it = index.find(key); it != index.end()) env[it->second] = kv;
    else index[key] = env.size(), env.push_back(kv);
  };
  if (opts.inherit_env)
    for (char** e = environ; *e; ++e) add(*e);
  for (const auto& e : opts.envs) add(parse_env(e));
  return env;
}

std::vector<Preopen> guest_preopens(const RunOptions& opts) {
  std::vector<Preopen> preopens;
  for (const auto& d : opts.dirs) preopens.push_back(parse_dir(d, false));
  for (const auto& d : opts.dirs_ro) preopens.push_back(parse_dir(d, true));
  for (const auto& d : opts.mapdirs) preopens.push_back(parse_mapdir(d));
  return preopens;
}

void register_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a WASI program (a core module exporting _start or main, or a WASI 0.2 command component) from a "
      "file or an image: wasmlet run [OPTIONS] MODULE.wasm|REFERENCE [--] [ARGS...]");
  // Everything from MODULE on belongs to the guest (as with wasmtime): its
  // arguments are never parsed as wasmlet options. A leading "--" is optional.
  cmd->prefix_command();
  auto one_each = [](CLI::Option* o) { o->allow_extra_args(false); };
  one_each(cmd->add_option("--dir", opts->dirs, "preopen a host directory read-write: HOST[::GUEST]")->type_name("HOST[::GUEST]"));
  one_each(cmd->add_option("--dir-ro", opts->dirs_ro, "preopen a host directory read-only: HOST[::GUEST]")->type_name("HOST[::GUEST]"));
  one_each(cmd->add_option("--mapdir", opts->mapdirs, "wasmtime's older spelling of --dir: GUEST::HOST")->type_name("GUEST::HOST"));
  one_each(cmd->add_option("--env", opts->envs, "set an environment variable: KEY=VALUE (or KEY to pass the host's value)"));
  cmd->add_option("--stdin", opts->stdin_source, "the program's stdin: FILE, or - for wasmlet's own (the default)")->type_name("FILE|-");
  cmd->add_flag("--no-stdin", opts->no_stdin, "give the program an empty stdin (as --stdin /dev/null)");
  cmd->add_option("--max-memory", opts->max_memory, "linear memory limit, e.g. 64Mi (Ki, Mi, Gi, Ti; at most 4Gi)");
  cmd->add_option("--fuel", opts->fuel, "instruction budget; the program traps with 'fuel exhausted' when it runs out")->type_name("N");
  cmd->add_option("--timeout", opts->timeout, "wall-time limit for the run, e.g. 500ms, 5s, 2m");
  cmd->add_option("--invoke", opts->invoke, "call this export instead of _start; arguments become its parameters");
  cmd->add_option("--argv0", opts->argv0, "the program's argv[0] (default: MODULE as given)");
  cmd->add_option("--tier", opts->tier, "execution tier: auto (default: cached native code, else the interpreter while "
                  "it compiles in the background for the next run), interp or aot (compile now)")
      ->type_name("auto|interp|aot");
  cmd->add_flag("-v,--verbose", opts->verbose, "say which tier runs the module, and why, on stderr");
  one_each(cmd->add_option("--tcplisten", opts->listeners, "listen on HOST:PORT and pass the socket to the program (fd 3, 4, ...)"));
  cmd->add_flag("--allow-sockets", opts->allow_sockets,
                "let a WASI 0.2 component create TCP/UDP sockets and look up names (wasi:sockets); off by default");
  one_each(cmd->add_option("-W", opts->wasmtime_w, "wasmtime's wasm options: max-memory-size=BYTES,fuel=N,timeout=DUR")
               ->type_name("KEY=VALUE,..."));
  one_each(cmd->add_option("-S", opts->wasmtime_s, "wasmtime's WASI options: inherit-env,tcplisten=ADDR,inherit-network")
               ->type_name("KEY[=VALUE],..."));
  cmd->add_option("--pull", opts->pull, "for an image reference: always, missing (default: pull if not stored) or never")
      ->type_name("always|missing|never");
  cmd->add_flag("-d,--detach", opts->detach, "create and start a daemon instance instead (docker run -d); prints its id");
  cmd->add_option("--name", opts->name, "with -d: the instance's service name (default: from the module's name)");
  cmd->add_option("--data-dir", opts->data_dir, "data dir of the image store (REFERENCE) and, with -d, of the daemon "
                  "(default $WASMLET_DATA_DIR, $XDG_DATA_HOME/wasmlet, ~/.local/share/wasmlet)");
  cmd->add_option("--socket", opts->socket, "with -d: the daemon's socket (default $WASMLET_SOCKET, DATA_DIR/wasmlet.sock)");
  cmd->callback([opts, cmd] {
    std::vector<std::string> rest = cmd->remaining();
    if (!rest.empty() && rest.front() != "--" && rest.front().size() > 1 && rest.front().starts_with('-'))
      throw UsageError(fmt::format("unknown option '{}'", rest.front()));
    if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
    if (rest.empty()) throw UsageError("no module given (usage: wasmlet run [OPTIONS] MODULE.wasm|REFERENCE [-- ARGS...])");
    opts->module = rest.front();
    opts->args.assign(rest.begin() + 1, rest.end());
    if (!opts->args.empty() && opts->args.front() == "--") opts->args.erase(opts->args.begin());
    apply_wasmtime_options(*opts);
    if (!opts->name.empty() && !opts->detach) throw UsageError("--name names a daemon instance: use it with -d");
    if (opts->detach) {
      // The daemon picks the tier for all its instances; say so rather than ignore the flag.
      if (cmd->get_option("--tier")->count() > 0)
        throw UsageError("--tier applies to a run in the foreground, not to a daemon instance (-d): "
                         "the daemon picks the tier (wasmlet serve --tier auto|interp|aot)");
      if (!run_detached_hook) hand_over_to_full();  // `wasmlet` has no daemon client
      run_detached_hook(*opts);
      exit_status = 0;
      return;
    }
    exit_status = run(*opts);
  });
}

void register_compile_command(CLI::App& app) {
  struct CompileOptions {
    std::string module, cache_dir, cc, job, hot_job, name;
    int opt_level = 2;
    bool fuel = false;
  };
  auto o = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand("compile", "Compile a module to native code ahead of time and cache it (the AOT tier)");
  cmd->add_option("module", o->module, "the .wasm file to compile")->required();
  cmd->add_flag("--fuel", o->fuel, "also compile the fuel-counting build that runs with --fuel (else built on first use)");
  cmd->add_option("--cache-dir", o->cache_dir, "the cache (default $WASMLET_CACHE_DIR, $XDG_CACHE_HOME/wasmlet, ~/.cache/wasmlet)");
  cmd->add_option("--cc", o->cc, "the C compiler (default $CC, else cc)");
  cmd->add_option("--opt-level", o->opt_level, "the C compiler's optimisation level, 0-3 (default 2)")->check(CLI::Range(0, 3));
  // A background compile started by the auto tier (docs/aot.md): the
  // artifact key it must produce and the module's name for messages.
  cmd->add_option("--job", o->job)->group("");
  // The hot code the auto tier builds after runs of a module that stays
  // interpreted (docs/hot.md): its key; --cc is then the C++ compiler.
  cmd->add_option("--hot-job", o->hot_job)->group("");
  cmd->add_option("--name", o->name)->group("");
  cmd->callback([o] {
    EngineConfig config;
    config.tier = Tier::Aot;
    config.cache_dir = o->cache_dir;
    config.compiler = o->cc;
    config.aot_opt_level = o->opt_level;
    if (!o->job.empty()) {
      exit_status = detail::aot::run_compile_job(config, o->module, o->job, o->name.empty() ? o->module : o->name);
      return;
    }
    if (!o->hot_job.empty()) {
      const std::filesystem::path cache = o->cache_dir.empty() ? detail::aot::default_cache_dir() : std::filesystem::path(o->cache_dir);
      exit_status = detail::hot::run_hot_job(cache, o->hot_job, o->module, o->name.empty() ? o->module : o->name,
                                             o->cc.empty() ? detail::hot::hot_compiler() : o->cc);
      return;
    }
    Engine engine(config);
    Module compiled = Module::from_file(engine, o->module);
    if (!detail::aot::runs_native(compiled))
      throw CompileError(fmt::format("{}: not compiled to native code (the note above says why)", compiled.name()));
    if (o->fuel && !detail::aot::prepare_fuel_build(compiled))
      throw CompileError(fmt::format("{}: the fuel-counting build could not be compiled", compiled.name()));
    std::cout << fmt::format("compiled {} ({} exports{}); later runs with --tier auto (the default) or aot use the cached code\n",
                             compiled.name(), compiled.exports().size(), o->fuel ? ", with the fuel build" : "");
    exit_status = 0;
  });
}

}  // namespace wasmlet::cli
