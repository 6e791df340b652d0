// The options of `wasmlet run`, as given on the command line (run_command.cpp
// parses them; `run -d` hands them to the daemon, runtime_commands.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wasmlet/wasi.h"

namespace wasmlet::cli {

struct RunOptions {
  std::string module;  // a file, or an image reference, as the user typed it
  std::vector<std::string> args;
  std::vector<std::string> dirs, dirs_ro, mapdirs, envs, listeners;
  std::vector<std::string> wasmtime_w, wasmtime_s;  // -W KEY=VALUE,... and -S KEY[=VALUE],...
  std::string stdin_source;                          // FILE, "-" or "" (both: wasmlet's stdin)
  bool no_stdin = false;
  std::string max_memory, timeout, invoke, argv0, fuel;
  std::optional<uint64_t> max_memory_bytes;  // -W max-memory-size (a plain byte count)
  std::string tier = "auto";
  bool verbose = false;  // say which tier runs the module, and why
  std::string pull = "missing";
  bool allow_sockets = false;
  bool network_from_wasmtime = false;  // -S inherit-network: no socket API for a module, as in wasmtime
  bool inherit_env = false;
  bool detach = false;
  std::string name;
  std::string data_dir, socket;  // the image store (REFERENCE) and, with -d, the daemon
};

// A file path, as opposed to an image reference: it exists, or it is
// spelled like a path (a slash first, ./, ../ or a .wasm/.wat ending).
bool names_a_file(const std::string& module);
// The guest's environment: the host's with -S inherit-env, then each --env.
std::vector<std::string> guest_env(const RunOptions& opts);
// --dir, --dir-ro and --mapdir as preopens (UsageError for a bad one).
std::vector<Preopen> guest_preopens(const RunOptions& opts);

// Applies wasmtime's `-W` and `-S` lists to the long options they stand for
// (src/cli/wasmtime_options.cpp); UsageError for a key it does not know,
// listing the known ones.
void apply_wasmtime_options(RunOptions& opts);

}  // namespace wasmlet::cli
