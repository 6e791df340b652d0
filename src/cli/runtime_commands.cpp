#include "cli/commands.h"

namespace wasmlet::cli {

// Being written; see the open issues.
void register_runtime_commands(CLI::App& app) {}

}  // namespace wasmlet::cli
