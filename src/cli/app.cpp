// The root app both binaries share: its name, version and error handling.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "wasmlet/error.h"
#include "wasmlet/version.h"

namespace wasmlet::cli {

void configure_root(CLI::App& app) {
  app.name("wasmlet");
  app.description("wasmlet: a WebAssembly runtime for workloads and plugins");
  app.require_subcommand(1);
  app.set_version_flag("--version", "wasmlet " WASMLET_VERSION);
}

int parse_and_run(CLI::App& app, int argc, char** argv) {
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
  return exit_status;
}

Tier tier_option(const std::string& value) {
  auto tier = parse_tier(value);
  if (!tier) throw UsageError(fmt::format("invalid --tier '{}': expected interp, aot or auto", value));
  return *tier;
}

}  // namespace wasmlet::cli
