#include "cli/commands.h"

namespace wasmlet::cli {

// Image verbs arrive with the registry client (issue 5).
void register_image_commands(CLI::App& app) {}

}  // namespace wasmlet::cli
