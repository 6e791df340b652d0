#include "blocking.h"

#include "engine/metering.h"
#include "wasmlet/store.h"

namespace wasmlet::wasi {

int wait_poll(Caller& caller, std::vector<pollfd>& fds, Deadline until) {
  Store& store = caller.store();
  for (;;) {
    auto result = wasi_sys::wait_interruptible(&store, fds, until);
    switch (result.end) {
      case wasi_sys::WaitResult::End::Ready: return result.ready;
      case wasi_sys::WaitResult::End::TimedOut: return 0;
      case wasi_sys::WaitResult::End::Interrupted: caller.trap("interrupted");
      case wasi_sys::WaitResult::End::DeadlinePassed:
        // The run's timeout ends a blocked guest as it ends a computing one:
        // a `timeout` limit trap, not a host error.
        detail::check_stop(store);
        break;  // not reached while the deadline stands; wait again if it moved
    }
  }
}

void wait_ready(Caller& caller, int fd, short events) {
  std::vector<pollfd> fds{{fd, events, 0}};
  wait_poll(caller, fds, std::nullopt);
}

}  // namespace wasmlet::wasi
