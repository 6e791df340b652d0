// One guest's WASI state, kept in its Store: argv, environment, descriptor
// table and where its stdout/stderr go.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fd_table.h"
#include "wasi_sys/inherited_output.h"
#include "wasmlet/wasi.h"

namespace wasmlet::wasi {

struct WasiContext {
  std::vector<std::string> args;
  std::vector<std::string> env;
  FdTable fds;
  OutputSink output;
  bool output_inherited = false;  // no sink was given: stdout/stderr are the host's own
  // Whether the process ignores SIGPIPE (as `wasmlet run` and the daemon
  // do), so that a write to a closed pipe cannot end it and need not block
  // SIGPIPE around itself (stream_io.cpp). Read at the first write that
  // could raise one: most contexts (plugins, captured output) never do.
  std::optional<bool> sigpipe_ignored;
  // What the host's own stdout and stderr are, read at their first write:
  // a write to a pipe or terminal may block, so it waits interruptibly first.
  std::optional<wasi_sys::InheritedOutput> inherited_kind[2];
};

// WASI filetype of a dirent d_type (DT_*).
uint8_t filetype_from_dirent(unsigned char d_type);

// WASI filetype of a host st_mode (and, for sockets, SO_TYPE of fd).
uint8_t filetype_from_mode(unsigned mode, int fd = -1);

}  // namespace wasmlet::wasi
