// Host errno -> WASI errno. Linux and WASI number their errors differently;
// every host failure reaches the guest through this one table.
#pragma once

#include "abi.h"

namespace wasmlet::wasi {

Errno errno_from_host(int host_errno);
// errno_from_host(errno), for the call that just failed.
Errno last_host_errno();

}  // namespace wasmlet::wasi
