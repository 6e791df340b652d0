// WASI preview1 (wasi_snapshot_preview1) for core modules.
//
//   Linker linker;
//   add_wasi_preview1(linker);               // defines every preview1 function
//   attach_wasi(store, WasiConfig{...});     // the guest's args, env, preopens, stdio
//
// The guest sees only what the config grants: its preopened directories
// (paths never resolve outside them: escapes fail with `notcapable`), its
// environment, and the listeners passed in. Read-only preopens refuse every
// write with `rofs`. Blocking calls wake on Store::interrupt() and the call's
// deadline. Details: docs/wasi.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wasmlet {

class Linker;
class Store;

struct Preopen {
  std::filesystem::path host_path;  // directory on the host
  std::string guest_path;           // name the guest sees ("/data", ".")
  bool read_only = false;
  // The most bytes the guest may keep in files beneath it (a spec's tmpfs
  // `size`); a write that would go past it fails with `nospc` (WASI 0.2:
  // insufficient-space). nullopt: no limit but the disk's.
  std::optional<uint64_t> max_bytes = std::nullopt;
};

enum class OutputStream { Stdout, Stderr };

// Receives guest output as it is written, in order. Called from the guest's
// thread. The default sink writes to the host's own stdout/stderr.
using OutputSink = std::function<void(OutputStream stream, std::span<const uint8_t> bytes)>;

struct WasiConfig {
  std::vector<std::string> args;  // argv, args[0] is the program name
  std::vector<std::string> env;   // "KEY=VALUE"
  std::vector<Preopen> preopens;
  std::optional<std::filesystem::path> stdin_file;  // empty stdin if unset (and no stdin_fd)
  OutputSink output;                                // host stdout/stderr if unset
  // Listening sockets handed to the guest (wasmtime's --tcplisten): each is
  // an open, listening socket fd owned by the WASI context from now on. They
  // appear as fds 3, 4, ... before the preopened directories.
  std::vector<int> listeners;
  // The guest's stdin as an fd the embedder shares with it (wasmlet run
  // passes its own 0); it wins over stdin_file. Read through a new open file
  // description, so the embedder's fd keeps its flags (a socket, which
  // cannot be reopened, is duplicated). The embedder keeps owning it.
  std::optional<int> stdin_fd;
};

// Defines every wasi_snapshot_preview1 function in the linker.
void add_wasi_preview1(Linker& linker);

// Creates the guest's WASI context in the store from the config. Throws
// UsageError if a preopen, the stdin fd or the stdin file cannot be opened
// (naming it). A guest's write to a closed pipe is `pipe` for it and never
// SIGPIPE for the process: if the process ignores SIGPIPE at the guest's
// first write to a pipe, its writes rely on that (so do not give SIGPIPE its
// default action back while the store runs); otherwise each write to a pipe
// blocks SIGPIPE on its thread.
void attach_wasi(Store& store, WasiConfig config);

}  // namespace wasmlet
