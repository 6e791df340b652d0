// wasmlet: run WebAssembly programs the way a container runtime runs images.
//
// This binary starts programs: `run` and `compile` link only the engine, so
// it loads no libcurl, sqlite or HTTP server and a hello world starts in a
// few milliseconds (docs/performance.md). Every other command (pull, serve,
// ps, plugin, --help...) is handed, with the same arguments, to
// wasmlet-full, installed next to it (src/cli/full_main.cpp).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>

#include "cli/commands.h"

namespace {

int exec_full_cli(char** argv) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  auto dir = (ec ? std::filesystem::path(argv[0]) : self).parent_path();
  // Without /proc and started through PATH, look for wasmlet-full in PATH
  // too, never in the current directory.
  auto full = dir.empty() ? std::filesystem::path("wasmlet-full") : dir / "wasmlet-full";
  if (dir.empty()) ::execvp(full.c_str(), argv);
  else ::execv(full.c_str(), argv);
  int err = errno;
  std::cerr << "wasmlet: error: cannot start " << full.string() << ": " << std::strerror(err)
            << " (wasmlet runs `run` and `compile` itself and hands every other command to wasmlet-full, which is "
               "installed next to it)\n";
  return 127;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view verb = argc > 1 ? argv[1] : "";
  if (verb != "run" && verb != "compile" && verb != "--version" && verb != "version") return exec_full_cli(argv);
  // `run REFERENCE` and `run -d` need the registry or daemon client: hand the
  // same command line over before anything has run.
  wasmlet::cli::hand_over_to_full = [argv] { std::exit(exec_full_cli(argv)); };
  CLI::App app;
  wasmlet::cli::configure_root(app);
  wasmlet::cli::register_run_command(app);
  wasmlet::cli::register_compile_command(app);
  return wasmlet::cli::parse_and_run(app, argc, argv);
}
