// Where wasmlet keeps its state (image store, daemon state, logins): the one
// resolver the CLI, the daemon and the plugin host share.
#pragma once

#include <filesystem>
#include <string>

namespace wasmlet {

// `flag` (--data-dir) if given, else $WASMLET_DATA_DIR, $XDG_DATA_HOME/wasmlet,
// $HOME/.local/share/wasmlet. Relative paths (flag or variables) are taken
// relative to the current directory, and the result is absolute. Throws
// UsageError when none is set.
std::filesystem::path resolve_data_dir(const std::string& flag = {});

}  // namespace wasmlet
