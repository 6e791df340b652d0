// wasmlet: run WebAssembly programs the way a container runtime runs images.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "wasmlet/error.h"

int main(int argc, char** argv) {
  CLI::App app{"wasmlet: a WebAssembly runtime for workloads and plugins", "wasmlet"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "wasmlet 0.1.0");
  wasmlet::cli::register_run_command(app);
  wasmlet::cli::register_compile_command(app);
  wasmlet::cli::register_image_commands(app);
  wasmlet::cli::register_runtime_commands(app);
  wasmlet::cli::register_plugin_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const wasmlet::UsageError& e) {
    std::cerr << "wasmlet: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "wasmlet: error: " << e.what() << "\n";
    return 1;
  }
  return wasmlet::cli::exit_status;
}
