// The wasmlet.* host functions. Every guest pointer is checked through
// GuestMemory before the host touches it; a bad range traps the guest with a
// message naming the plugin, the export and the host function, never the host.
#include "plugin/abi.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

#include "plugin/capabilities.h"
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

// Cut at kMaxLogLine as every line a plugin makes.
void emit_log(const CallContext& ctx, LogLevel level, std::string_view message) {
  if (ctx.log && *ctx.log) (*ctx.log)(ctx.plugin, level, message.substr(0, kMaxLogLine));
}

}  // namespace

namespace {

struct JsonScan {
  const uint8_t* p;
  const uint8_t* end;

  void skip_ws() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }
  bool literal(const char* word) {
    for (; *word; ++word, ++p)
      if (p == end || *p != static_cast<uint8_t>(*word)) return false;
    return true;
  }
  static int hex(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool u_escape(uint32_t* code) {  // after "\u"
    if (end - p < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hex(p[i]);
      if (h < 0) return false;
      v = v << 4 | static_cast<uint32_t>(h);
    }
    p += 4;
    *code = v;
    return true;
  }
  bool string() {  // at '"'
    ++p;
    while (p < end) {
      uint8_t c = *p++;
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;  // bytes >= 0x80: the UTF-8 was checked before
      if (p == end) return false;
      c = *p++;
      if (c == 'u') {
        uint32_t code;
        if (!u_escape(&code)) return false;
        if (code >= 0xDC00 && code <= 0xDFFF) return false;  // a lone low surrogate
        if (code >= 0xD800 && code <= 0xDBFF) {               // must be followed by a low one
          if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return false;
          p += 2;
          if (!u_escape(&code) || code < 0xDC00 || code > 0xDFFF) return false;
        }
      } else if (!(c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't')) {
        return false;
      }
    }
    return false;
  }
  bool number() {  // -?(0|[1-9][0-9]*)(.[0-9]+)?, at most 15 digits, no exponent
    int digits = 0;
    if (*p == '-') ++p;
    if (p == end) return false;
    if (*p == '0') {
      ++p, ++digits;
    } else if (*p >= '1' && *p <= '9') {
      while (p < end && *p >= '0' && *p <= '9') ++p, ++digits;
    } else {
      return false;
    }
    if (p < end && *p == '.') {
      ++p;
      if (p == end || *p < '0' || *p > '9') return false;
      while (p < end && *p >= '0' && *p <= '9') ++p, ++digits;
    }
    if (p < end && (*p == 'e' || *p == 'E')) return false;  // may overflow: not decided here
    return digits <= 15;
  }
};

}  // namespace

bool surely_valid_json(std::span<const uint8_t> bytes) {
  JsonScan s{bytes.data(), bytes.data() + bytes.size()};
  if (bytes.size() >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) s.p += 3;  // the parser skips a BOM
  uint64_t in_object = 0;  // bit i: nesting level i+1 is an object (else an array)
  int depth = 0;
  s.skip_ws();
  for (;;) {
    // A value.
    if (s.p == s.end) return false;
    switch (*s.p) {
      case '{':
      case '[': {
        if (depth == 64) return false;
        const bool object = *s.p == '{';
        in_object = object ? in_object | (uint64_t{1} << depth) : in_object & ~(uint64_t{1} << depth);
        ++depth;
        ++s.p;
        s.skip_ws();
        if (s.p < s.end && *s.p == (object ? '}' : ']')) {
          ++s.p;
          --depth;
          break;
        }
        if (object) {
          if (s.p == s.end || *s.p != '"' || !s.string()) return false;
          s.skip_ws();
          if (s.p == s.end || *s.p++ != ':') return false;
          s.skip_ws();
        }
        continue;  // the first element or member value
      }
      case '"':
        if (!s.string()) return false;
        break;
      case 't':
        if (!s.literal("true")) return false;
        break;
      case 'f':
        if (!s.literal("false")) return false;
        break;
      case 'n':
        if (!s.literal("null")) return false;
        break;
      default:
        if (!s.number()) return false;
    }
    // After a value: a separator, the end of containers, or the end of the text.
    for (;;) {
      s.skip_ws();
      if (depth == 0) return s.p == s.end;
      if (s.p == s.end) return false;
      const bool object = in_object >> (depth - 1) & 1;
      if (*s.p == (object ? '}' : ']')) {
        ++s.p;
        --depth;
        continue;
      }
      if (*s.p++ != ',') return false;
      s.skip_ws();
      if (object) {
        if (s.p == s.end || *s.p != '"' || !s.string()) return false;
        s.skip_ws();
        if (s.p == s.end || *s.p++ != ':') return false;
        s.skip_ws();
      }
      break;  // the next value
    }
  }
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
                  uint32_t len = std::min<uint32_t>(a[2].as_u32(), kMaxLogLine);  // longer lines are cut
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
                  // What is left of the call's time; without a deadline
                  // (PluginLimits::timeout 0) none: 0 is no limit for curl too.
                  std::chrono::nanoseconds timeout{0};
                  if (auto d = caller.store().deadline()) {
                    timeout = std::max<std::chrono::nanoseconds>(std::chrono::milliseconds(1), *d - std::chrono::steady_clock::now());
                  }
                  HttpResult res =
                      http_request(*ctx.capabilities, request, ctx.limits->max_output_bytes, timeout, &caller.store());
                  // Plugin::interrupt_all() during the request: the call ends as during a blocking WASI call.
                  if (res.interrupted) caller.trap("interrupted");
                  if (res.status == HttpStatus::Denied) {
                    // The first few are kept and logged, the rest counted: a
                    // plugin looping on denied calls must not grow the host.
                    if (++ctx.denial_count <= kKeptDenials) {
                      ctx.denials.push_back(res.body);  // the error names the plugin and export once
                      emit_log(ctx, LogLevel::Warn, fmt::format("export '{}': {}", ctx.export_name, res.body));
                    } else if (ctx.denial_count == kKeptDenials + 1) {
                      emit_log(ctx, LogLevel::Warn,
                               fmt::format("export '{}': more http_request calls denied; the rest of this call's are "
                                           "counted, not logged", ctx.export_name));
                    }
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
