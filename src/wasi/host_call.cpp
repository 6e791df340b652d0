#include "host_call.h"

#include <algorithm>
#include <climits>
#include <new>

#include "wasi_sys/path_resolver.h"
#include "wasmlet/store.h"

namespace wasmlet::wasi {

Errno Call::entry(uint32_t fd, uint64_t rights, std::shared_ptr<FdEntry>& out) const {
  out = ctx.fds.get(fd);
  if (!out) return err::badf;
  if (!out->has(rights)) return err::notcapable;
  return err::success;
}

Errno Call::writable_entry(uint32_t fd, uint64_t rights, std::shared_ptr<FdEntry>& out) const {
  out = ctx.fds.get(fd);
  if (!out) return err::badf;
  if (out->read_only) return err::rofs;
  if (!out->has(rights)) return err::notcapable;
  return err::success;
}

Errno Call::path(uint32_t ptr, uint32_t len, std::string& out) const {
  std::string_view guest = mem.string(ptr, len);  // out of bounds: fault
  // Refused before the copy: every path call comes here first.
  if (len > wasi_sys::kMaxPathBytes) return err::nametoolong;
  out = std::string(guest);
  if (out.find('\0') != std::string::npos) return err::inval;
  return err::success;
}

void define(Linker& linker, const char* name, std::string_view params, Handler handler) {
  FuncType type;
  for (char c : params) type.params.push_back(c == 'I' ? ValType::I64 : ValType::I32);
  type.results.push_back(ValType::I32);
  linker.define("wasi_snapshot_preview1", name, std::move(type),
                [handler](Caller& caller, std::span<const Value> args, std::span<Value> results) {
                  auto* ctx = caller.store().host_state<WasiContext>();
                  if (!ctx) caller.trap("WASI is not attached to this store (attach_wasi)");
                  Errno e;
                  try {
                    Call call{caller, *ctx, caller.memory(), args};
                    e = handler(call);
                  } catch (const MemoryFault&) {
                    e = err::fault;
                  } catch (const std::bad_alloc&) {
                    e = err::nomem;
                  }
                  results[0] = Value::i32(e);
                });
}

std::vector<iovec> guest_iovecs(const GuestMemory& mem, uint32_t iovs, uint32_t count) {
  std::vector<iovec> out;
  // The whole array must lie in memory (else `fault`), even the entries
  // past IOV_MAX that one call does not use.
  (void)mem.bytes(iovs, uint64_t{count} * layout::iovec_size);
  if (count > IOV_MAX) count = IOV_MAX;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t at = iovs + uint64_t{i} * layout::iovec_size;
    uint32_t buf = mem.load<uint32_t>(at);
    uint32_t len = mem.load<uint32_t>(at + 4);
    auto bytes = mem.bytes(buf, len);
    out.push_back({bytes.data(), bytes.size()});
  }
  return out;
}

size_t total_length(const std::vector<iovec>& v) {
  size_t n = 0;
  for (const auto& i : v) n += i.iov_len;
  return n;
}

std::vector<iovec> first_bytes(const std::vector<iovec>& v, size_t n) {
  std::vector<iovec> out;
  for (const auto& i : v) {
    if (n == 0) break;
    out.push_back({i.iov_base, std::min(i.iov_len, n)});
    n -= out.back().iov_len;
  }
  return out;
}

}  // namespace wasmlet::wasi
