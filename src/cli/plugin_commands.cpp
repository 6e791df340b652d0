#include "cli/commands.h"

namespace wasmlet::cli {

// Being written; see the open issues.
void register_plugin_commands(CLI::App& app) {}

}  // namespace wasmlet::cli
