// `create --console-socket S` with process.terminal: a new pty whose master
// goes to the caller over the unix socket S (SCM_RIGHTS, as runc sends it)
// and whose slave becomes the container's controlling terminal and stdio.
#pragma once

#include <string>

namespace wasmlet::oci {

struct Pty {
  int master = -1;
  int slave = -1;
};

// Opens a pty (the window size from `rows`/`cols` when non-zero). Throws Error.
Pty open_pty(unsigned rows, unsigned cols);

// Sends `fd` over the unix socket at `socket_path`. Throws Error naming it.
void send_console(const std::string& socket_path, int fd);

// In the container process: a new session whose controlling terminal and
// stdin/stdout/stderr are the slave.
void make_controlling_terminal(int slave);

}  // namespace wasmlet::oci
