// The wasmlet.* host functions. Every guest pointer is checked through
// GuestMemory before the host touches it; a bad range traps the guest with a
// message naming the plugin, the export and the host function, never the host.
#include "plugin/abi.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

#include "plugin/http_client.h"
#include "wasmlet/store.h"

namespace wasmlet::plugin {
namespace {

using VT = ValType;

CallContext& context(Caller& caller) {
  auto* ctx = caller.store().host_state<CallContext>();
  if (!ctx) caller.trap("not called as a wasmlet plugin (no call context)");
  return *ctx;
}

// A guest (ptr, len) pair as unsigned 32-bit values, checked against the memory.
std::span<uint8_t> guest_range(Caller& caller, const CallContext& ctx, const char* what, uint32_t ptr, uint32_t len) {
  GuestMemory mem = caller.memory();
  if (!mem.contains(ptr, len)) {
    // The engine prefixes the host function's name; `what` names the argument if needed.
    caller.trap(fmt::format("{}{}range [{:#x}, +{}) is outside the plugin's memory of {} bytes", what, *what ? " " : "",
                            ptr, len, mem.size()));
  }
  return mem.bytes(ptr, len);
}

void copy_out(Caller& caller, const CallContext& ctx, const char* what, uint32_t ptr, uint32_t len,
              std::span<const uint8_t> data, std::span<Value> results) {
  uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(len, data.size()));
  auto dst = guest_range(caller, ctx, what, ptr, n);
  if (n) std::memcpy(dst.data(), data.data(), n);
  results[0] = Value::i32(static_cast<int32_t>(n));
}

void emit_log(const CallContext& ctx, LogLevel level, std::string_view message) {
  if (ctx.log && *ctx.log) (*ctx.log)(ctx.plugin, level, message);
}

}  // namespace

bool valid_utf8(std::span<const uint8_t> s, size_t* bad_offset) {
  size_t i = 0, n = s.size();
  while (i < n) {
    uint8_t c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else { if (bad_offset) *bad_offset = i; return false; }
    if (i + len > n) { if (bad_offset) *bad_offset = i; return false; }
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) { if (bad_offset) *bad_offset = i; return false; }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { if (bad_offset) *bad_offset = i; return false; }
    i += len;
  }
  return true;
}

void add_plugin_abi(Linker& linker) {
  const std::string m = kAbiModule;

  // input_len() -> i32
  linker.define(m, "input_len", FuncType{{}, {VT::I32}}, [](Caller& caller, std::span<const Value>, std::span<Value> r) {
    r[0] = Value::i32(static_cast<int32_t>(context(caller).input.size()));
  });

  // input_read(ptr, len) -> i32: copies min(len, input size) bytes to ptr.
  linker.define(m, "input_read", FuncType{{VT::I32, VT::I32}, {VT::I32}},
                [](Caller& caller, std::span<const Value> a, std::span<Value> r) {
                  auto& ctx = context(caller);
                  copy_out(caller, ctx, "", a[0].as_u32(), a[1].as_u32(), ctx.input, r);
                });

  // output_set(ptr, len): the host copies the range now; the last call wins.
  linker.define(m, "output_set", FuncType{{VT::I32, VT::I32}, {}},
                [](Caller& caller, std::span<const Value> a, std::span<Value>) {
                  auto& ctx = context(caller);
                  uint32_t len = a[1].as_u32();
                  if (len > ctx.limits->max_output_bytes) {
                    caller.trap(fmt::format("length {} exceeds the output limit of {} bytes", len,
                                            ctx.limits->max_output_bytes));
                  }
                  auto src = guest_range(caller, ctx, "", a[0].as_u32(), len);
                  ctx.output.assign(src.begin(), src.end());
                  ctx.output_set = true;
                });

  // log(level, ptr, len)
  linker.define(m, "log", FuncType{{VT::I32, VT::I32, VT::I32}, {}},
                [](Caller& caller, std::span<const Value> a, std::span<Value>) {
                  auto& ctx = context(caller);
                  uint32_t len = std::min<uint32_t>(a[2].as_u32(), 64 * 1024);  // longer lines are cut
                  auto src = guest_range(caller, ctx, "", a[1].as_u32(), len);
                  int level = std::clamp(a[0].as_i32(), 0, 4);
                  emit_log(ctx, static_cast<LogLevel>(level), std::string_view(reinterpret_cast<const char*>(src.data()), src.size()));
                });

  // config_get(key_ptr, key_len, buf_ptr, buf_len) -> i32: value length or -1.
  linker.define(m, "config_get", FuncType{{VT::I32, VT::I32, VT::I32, VT::I32}, {VT::I32}},
                [](Caller& caller, std::span<const Value> a, std::span<Value> r) {
                  auto& ctx = context(caller);
                  uint32_t key_len = a[1].as_u32();
                  if (key_len > 4096) caller.trap(fmt::format("key length {} is too long", key_len));
                  auto key_bytes = guest_range(caller, ctx, "key", a[0].as_u32(), key_len);
                  std::string key(key_bytes.begin(), key_bytes.end());
                  auto it = ctx.capabilities->config.find(key);
                  if (it == ctx.capabilities->config.end()) {
                    r[0] = Value::i32(-1);
                    return;
                  }
                  const std::string& v = it->second;
                  uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(a[3].as_u32(), v.size()));
                  auto dst = guest_range(caller, ctx, "buffer", a[2].as_u32(), n);
                  if (n) std::memcpy(dst.data(), v.data(), n);
                  r[0] = Value::i32(static_cast<int32_t>(v.size()));
                });

  // http_request(ptr, len) -> status; the response (or the reason) via response_*.
  linker.define(m, "http_request", FuncType{{VT::I32, VT::I32}, {VT::I32}},
                [](Caller& caller, std::span<const Value> a, std::span<Value> r) {
                  auto& ctx = context(caller);
                  uint32_t len = a[1].as_u32();
                  if (len > ctx.limits->max_output_bytes) caller.trap(fmt::format("request length {} is too long", len));
                  auto req = guest_range(caller, ctx, "request", a[0].as_u32(), len);
                  std::string request(req.begin(), req.end());
                  auto timeout = ctx.limits->timeout;
                  if (auto d = caller.store().deadline()) {
                    timeout = std::max<std::chrono::nanoseconds>(std::chrono::milliseconds(1), *d - std::chrono::steady_clock::now());
                  }
                  HttpResult res = http_request(*ctx.capabilities, request, ctx.limits->max_output_bytes, timeout);
                  if (res.status == HttpStatus::Denied) {
                    std::string msg = fmt::format("plugin '{}' export '{}': {}", ctx.plugin, ctx.export_name, res.body);
                    ctx.denials.push_back(msg);
                    emit_log(ctx, LogLevel::Warn, msg);
                  }
                  ctx.response.assign(res.body.begin(), res.body.end());
                  r[0] = Value::i32(static_cast<int32_t>(res.status));
                });

  linker.define(m, "response_len", FuncType{{}, {VT::I32}}, [](Caller& caller, std::span<const Value>, std::span<Value> r) {
    r[0] = Value::i32(static_cast<int32_t>(context(caller).response.size()));
  });
  linker.define(m, "response_read", FuncType{{VT::I32, VT::I32}, {VT::I32}},
                [](Caller& caller, std::span<const Value> a, std::span<Value> r) {
                  auto& ctx = context(caller);
                  copy_out(caller, ctx, "", a[0].as_u32(), a[1].as_u32(), ctx.response, r);
                });
}

}  // namespace wasmlet::plugin
