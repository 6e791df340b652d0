// Linux containers are not ours: wasmlet-oci hands the whole command line to
// the real runtime (runc, else crun), so one RuntimeClass serves pods that
// mix wasm and Linux containers.
#pragma once

#include <string>
#include <vector>

namespace wasmlet::oci {

// The runtime to delegate to: $WASMLET_OCI_DELEGATE if set, else the first
// runc or crun in PATH that is not this program. Throws Error if none.
std::string delegate_runtime();

// Replaces this process with the delegate, called with `args` (our own
// argv without argv[0]). Returns only by throwing Error.
[[noreturn]] void exec_delegate(const std::vector<std::string>& args);

}  // namespace wasmlet::oci
