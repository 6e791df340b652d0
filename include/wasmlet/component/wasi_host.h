// The WASI 0.2 host interfaces for components, as plain C++ over WIT values.
//
//   component::WasiHost host(WasiConfig{...});        // same config as preview1
//   auto* fn = host.find("wasi:io/streams@0.2.3", "[method]output-stream.write");
//   auto result = (*fn)(args);                        // args/results are lifted Vals
//
// Resources (streams, pollables, descriptors, errors...) are host objects
// known to the guest by a `rep`; the component's handle table maps guest
// handles to these reps (resource_table.h) and `drop(rep)` destroys them.
// Every 0.2.x minor version of an interface is accepted. Paths resolve only
// beneath their preopen (src/wasi/path_resolver.h); read-only preopens refuse
// every write. wasi:cli/exit ends the run: run_component reports
// Exited(code).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wasmlet/component/types.h"
#include "wasmlet/component/value.h"
#include "wasmlet/wasi.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::component {

struct WasiHostOptions {
  bool allow_sockets = false;  // the sockets capability: without it, creating a socket or resolving a name is access-denied
  // With allow_sockets: which sockets may be created, and (when not empty)
  // the only host names that resolve; connecting or sending is then allowed
  // only to an address a lookup of them returned or an IP address listed.
  bool allow_tcp = true, allow_udp = true;
  std::vector<std::string> allowed_hosts;
};

namespace wasi {
struct HostState;
struct Interfaces;
}

class WasiHost {
 public:
  using Function = std::function<std::optional<Val>(std::span<const Val> args)>;

  explicit WasiHost(WasiConfig config, WasiHostOptions options = {});
  ~WasiHost();
  WasiHost(const WasiHost&) = delete;
  WasiHost& operator=(const WasiHost&) = delete;

  // The implementation of `function` in the imported interface `import_name`
  // ("wasi:cli/environment@0.2.3"), or null if wasmlet has none. Throws
  // LinkError for a version it cannot serve (not 0.2.x).
  const Function* find(std::string_view import_name, std::string_view function) const;
  // Whether the interface (any 0.2.x version) is provided at all.
  bool provides(std::string_view import_name) const;
  // The WIT type of a function find() gives (what its implementation reads
  // and returns: a component's import of it must have this type), or null.
  const FunctionType* signature(std::string_view import_name, std::string_view function) const;
  // The resource type the interface declares (or uses) by `name`, or null.
  ResourcePtr resource(std::string_view import_name, std::string_view name) const;

  // Calls a function found with find(). Missing trailing arguments read as
  // zero values: a component's imports are checked against signature()
  // when it is instantiated, and this keeps a caller that skipped the check
  // from making the host read past its arguments.
  // The arguments are taken (move them in: they may be large).
  std::optional<Val> call(const Function& function, std::vector<Val> args);

  // Blocking calls (poll, sleeps, socket reads) also end when `store` is
  // interrupted or its call deadline passes: they throw an internal
  // exception that run_component turns into an "interrupted" trap.
  // run_component attaches its Store.
  void attach_store(Store& store);

  // Destroys a host resource whose own handle the guest dropped.
  void drop(uint32_t rep);
  // Number of live host resources (for tests).
  size_t live_resources() const;

  wasi::HostState& state() { return *state_; }

 private:
  std::unique_ptr<wasi::HostState> state_;
  std::unique_ptr<wasi::Interfaces> interfaces_;
};

// "wasi:io/streams@0.2.3" -> {"wasi:io/streams", "0.2.3"}; version empty if none.
std::pair<std::string, std::string> split_interface_version(std::string_view name);

}  // namespace wasmlet::component
