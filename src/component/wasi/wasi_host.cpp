// WasiHost: the registry of WASI 0.2 interfaces and the resource lifetime.
#include "wasmlet/component/wasi_host.h"

#include <fmt/format.h>
#include <unistd.h>

#include "component/wasi/host_state.h"

namespace wasmlet::component {

namespace wasi {

Val stream_error_closed() { return Val::variant(1); }

Val stream_error_failed(HostState& s, const std::string& message, int host_errno) {
  return Val::variant(0, Val::resource(s.add(ErrorResource{message, host_errno})));
}

}  // namespace wasi

std::pair<std::string, std::string> split_interface_version(std::string_view name) {
  auto at = name.find('@');
  if (at == std::string_view::npos) return {std::string(name), ""};
  return {std::string(name.substr(0, at)), std::string(name.substr(at + 1))};
}

WasiHost::WasiHost(WasiConfig config, WasiHostOptions options)
    : state_(std::make_unique<wasi::HostState>()), interfaces_(std::make_unique<wasi::Interfaces>()) {
  wasi_sys::raise_fd_limit();  // as preview1's contexts do: else a guest may get about 512 fds, not kMaxGuestFds
  state_->config = std::move(config);
  state_->options = options;
  // In the order of their `use`s: an interface's types are declared
  // before another uses them.
  wasi::add_io(*state_, *interfaces_);
  wasi::add_clocks(*state_, *interfaces_);
  wasi::add_cli(*state_, *interfaces_);
  wasi::add_random(*state_, *interfaces_);
  wasi::add_filesystem(*state_, *interfaces_);
  wasi::add_sockets(*state_, *interfaces_);
  for (auto& [iface, functions] : interfaces_->functions)
    for (auto& [name, f] : functions)
      if (!f.call)
        throw Error(fmt::format("{}#{} is declared without an implementation", iface, name), ErrorCode::Internal);
}

WasiHost::~WasiHost() = default;

static void check_version(std::string_view import_name, const std::string& version) {
  if (version.empty()) return;
  if (version.rfind("0.2.", 0) != 0 && version != "0.2")
    throw LinkError(fmt::format("{}: wasmlet implements WASI 0.2.x interfaces; version {} is not supported",
                                import_name, version));
}

bool WasiHost::provides(std::string_view import_name) const {
  auto [iface, version] = split_interface_version(import_name);
  if (version.size() && version.rfind("0.2", 0) != 0) return false;
  return interfaces_->functions.count(iface) > 0;
}

const WasiHost::Function* WasiHost::find(std::string_view import_name, std::string_view function) const {
  auto [iface, version] = split_interface_version(import_name);
  auto it = interfaces_->functions.find(iface);
  if (it == interfaces_->functions.end()) return nullptr;
  check_version(import_name, version);
  auto f = it->second.find(function);
  return f == it->second.end() ? nullptr : &f->second.call;
}

const FunctionType* WasiHost::signature(std::string_view import_name, std::string_view function) const {
  auto it = interfaces_->functions.find(split_interface_version(import_name).first);
  if (it == interfaces_->functions.end()) return nullptr;
  auto f = it->second.find(function);
  return f == it->second.end() ? nullptr : f->second.type.get();
}

ResourcePtr WasiHost::resource(std::string_view import_name, std::string_view name) const {
  auto it = interfaces_->types.find(split_interface_version(import_name).first);
  if (it == interfaces_->types.end()) return nullptr;
  auto t = it->second.find(name);
  return t == it->second.end() ? nullptr : t->second.resource;
}

std::optional<Val> WasiHost::call(const Function& function, std::vector<Val> args) {
  constexpr size_t kMaxHostParams = 8;  // no WASI 0.2 function takes more
  // Padded in place: the lifted arguments are moved here, never copied (a
  // copy would double what the lift took of host memory).
  if (args.size() < kMaxHostParams) args.resize(kMaxHostParams);
  return function(std::span<const Val>(args));
}

void WasiHost::attach_store(Store& store) { state_->store = &store; }

void WasiHost::drop(uint32_t rep) {
  auto it = state_->resources.find(rep);
  if (it == state_->resources.end()) return;
  // Closing a file unlinked beneath a size-limited preopen frees its blocks.
  if (auto* d = std::get_if<component::wasi::Descriptor>(&it->second); d && d->quota) d->quota->note_shrink();
  if (auto* listing = std::get_if<component::wasi::DirectoryEntryStream>(&it->second)) state_->listing_bytes -= listing->bytes;
  state_->resources.erase(it);
}

size_t WasiHost::live_resources() const { return state_->resources.size(); }

}  // namespace wasmlet::component
