#include "engine/nested_call_end.h"

#include <exception>

#include <fmt/format.h>

#include "engine/host_unwind.h"
#include "engine/metering.h"
#include "wasmlet/linker.h"

namespace wasmlet::detail {

void NestedCallEnd::keep_host_failure(const std::string& function) {
  try {
    throw;
  } catch (const HostExit& e) {
    keep_first_exit(e.code);
  } catch (const HostTrap& e) {
    keep_first_trap(TrapInfo{TrapKind::HostError, e.message, {}});
  } catch (const MeterTrap& e) {
    keep_first_trap(TrapInfo{e.kind, e.message, {}});
  } catch (const std::exception& e) {
    keep_first_trap(TrapInfo{TrapKind::HostError, fmt::format("{}: {}", function, e.what()), {}});
  } catch (...) {
    keep_first_trap(TrapInfo{TrapKind::HostError, fmt::format("{}: unknown exception", function), {}});
  }
}

}  // namespace wasmlet::detail
