// How a host function ends the guest: Caller::exit and Caller::trap throw
// these, and the tier catches them at the host call boundary
// (NestedCallEnd::keep_host_failure); they never cross guest frames.
#pragma once

#include <string>

namespace wasmlet::detail {

struct HostExit {
  int code;
};
struct HostTrap {
  std::string message;
};

}  // namespace wasmlet::detail
