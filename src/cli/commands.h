// Each CLI verb family registers its subcommands on the root app.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/engine.h"
#include "wasmlet/error.h"

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
// The value of a --fuel option (`flag` names it in messages): a whole number
// from 1 that fits in 64 bits; "0", "-1", "1e9" or 2^64 are UsageErrors, not
// "unlimited" (a spec's max_fuel: 0 is, so 0 would mean two things).
uint64_t fuel_option(const std::string& value, std::string_view flag = "--fuel");
// The value of a --timeout option: a duration above 0 (UsageError otherwise,
// saying that leaving the option out gives `without`, e.g. "no limit").
std::chrono::nanoseconds timeout_option(const std::string& value, std::string_view without, std::string_view flag = "--timeout");
// The process exit status for a guest's exit code: the code itself when it
// fits in 8 bits, else 1 with a `wasmlet: error:` line naming `who` (the OS
// would keep only the low byte, so exit(256) would read as success).
int guest_exit_status(int64_t code, std::string_view who);
// The exit status for a command that failed with an error of `code`: 2 for
// an invalid argument, else 1.
int failure_status(ErrorCode code);

// What `run` needs from the parts only wasmlet-full links (the registry and
// daemon clients). wasmlet-full sets them (register_image_commands,
// register_runtime_commands); in `wasmlet` they are unset and
// `hand_over_to_full` execs wasmlet-full with the same arguments instead.
struct RunOptions;
inline std::function<std::vector<uint8_t>(const RunOptions& run)> pull_image_hook;
inline std::function<void(const RunOptions&)> run_detached_hook;
inline std::function<void()> hand_over_to_full;

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
// `wasmlet completion bash|zsh|fish` (src/cli/help_pages.cpp).
void register_completion_command(CLI::App& app);

}  // namespace wasmlet::cli
