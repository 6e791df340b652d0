// The daemon's last defence against a workload that crashes it: if the
// process dies of a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT)
// on an instance's thread, a handler appends "ID SIGNAL" to
// DATA_DIR/crash-blame before the process dies as it would have, and the
// next daemon fails that instance instead of restarting it into the same
// crash (docs/runtime.md "Crash isolation").
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace wasmlet::runtime::crash_blame {

// Points the handler at DATA_DIR/crash-blame and installs it (once per
// process). It records only when the process is about to die of the signal
// (the handler before it is the default action): handlers installed later,
// such as the AOT tier's fault handler, chain to it for faults that are
// not the guest's.
void install(const std::filesystem::path& data_dir);

// Reads and clears DATA_DIR/crash-blame: instance id -> "SIGSEGV"...
std::map<std::string, std::string> take(const std::filesystem::path& data_dir);

// Names the instance the calling thread works for while it lives, and gives
// the thread an alternate signal stack (kept until the thread ends), so a
// stack overflow can be recorded too.
class Scope {
 public:
  explicit Scope(const std::string& instance);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
};

}  // namespace wasmlet::runtime::crash_blame
