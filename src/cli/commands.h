// Each CLI verb family registers its subcommands on the root app.
#pragma once

#include <CLI/CLI.hpp>

#include "wasmlet/engine.h"

namespace wasmlet::cli {

// The process exit status a command's callback decided on (main returns it).
inline int exit_status = 0;

// Name, description and --version of the root app (src/cli/app.cpp).
void configure_root(CLI::App& app);
// Parses argv and runs the chosen command; returns the process exit status
// (2 for usage errors, 1 for other errors, else the command's).
int parse_and_run(CLI::App& app, int argc, char** argv);
// The value of a --tier option; UsageError if it names no tier.
Tier tier_option(const std::string& value);

// `wasmlet run`: run a WASI program (src/cli/run_command.cpp).
void register_run_command(CLI::App& app);
// `wasmlet compile`: precompile a module for the AOT tier (src/cli/run_command.cpp).
void register_compile_command(CLI::App& app);
// `wasmlet pull/push/images/tag/rmi/prune/login/load` (src/cli/image_commands.cpp).
void register_image_commands(CLI::App& app);
// `wasmlet serve` and the daemon client verbs up/create/start/stop/kill/rm/ps/
// logs/wait/stats/inspect/exec (src/cli/runtime_commands.cpp).
void register_runtime_commands(CLI::App& app);
// `wasmlet plugin inspect/call` (src/cli/plugin_commands.cpp).
void register_plugin_commands(CLI::App& app);
// `wasmlet wast`: run WebAssembly spec scripts (src/cli/wast_command.cpp).
void register_wast_command(CLI::App& app);

}  // namespace wasmlet::cli
