// Host errno -> WASI errno. Linux and WASI number their errors differently;
// every host failure reaches the guest through this one table.
#pragma once

#include "abi.h"

namespace wasmlet::wasi {

Errno errno_from_host(int host_errno);
// errno_from_host(errno), for the call that just failed.
Errno last_host_errno();
// The host errno that errno_from_host maps to `e` (notcapable: EPERM, the
// path left its directory), for the WASI 0.2 host, which reports host errnos
// in its own error-code enum.
int host_errno_from(Errno e);

}  // namespace wasmlet::wasi
