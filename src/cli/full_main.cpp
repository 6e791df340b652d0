// wasmlet-full: every wasmlet command. `wasmlet` runs `run` and `compile`
// itself and hands every other command to this binary (src/cli/main.cpp).
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app;
  wasmlet::cli::configure_root(app);
  wasmlet::cli::register_run_command(app);
  wasmlet::cli::register_compile_command(app);
  wasmlet::cli::register_image_commands(app);
  wasmlet::cli::register_runtime_commands(app);
  wasmlet::cli::register_plugin_commands(app);
  wasmlet::cli::register_wast_command(app);
  wasmlet::cli::register_completion_command(app);
  return wasmlet::cli::parse_and_run(app, argc, argv);
}
