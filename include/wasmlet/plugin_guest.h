/* wasmlet plugin guest SDK for C (docs/plugin-abi.md).
 *
 * Build:  clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *           -I include -o my_plugin.wasm my_plugin.c
 *
 *   #include "wasmlet/plugin_guest.h"
 *   WASMLET_PLUGIN("shout", "1.0.0", "upper-cases its input");
 *
 *   WASMLET_EXPORT(execute) int execute(void) {
 *     size_t n;
 *     char* in = wasmlet_input(&n);            // the call's input, NUL-terminated
 *     for (size_t i = 0; i < n; ++i) in[i] = toupper(in[i]);
 *     return wasmlet_output(in, n);            // 0 = success
 *   }
 *
 * The guest owns its memory: the host never writes into it except into a
 * buffer the guest passes to wasmlet_input_read / config_get / response_read,
 * and only within the length the guest gives. Returning non-zero from an
 * export (or calling wasmlet_fail) reports failure; the output is then the
 * error message.
 */
#ifndef WASMLET_PLUGIN_GUEST_H
#define WASMLET_PLUGIN_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WASMLET_IMPORT(name) __attribute__((import_module("wasmlet"), import_name(#name)))
/* Marks a function as a plugin export: WASMLET_EXPORT(execute) int execute(void) {...} */
#define WASMLET_EXPORT(name) __attribute__((export_name(#name)))

/* Name, version and description in the `wasmlet.plugin` custom section. The
 * arguments are string literals without quotes or backslashes in them. */
#define WASMLET_PLUGIN(name, version, description)                                              \
  __asm__(".section .custom_section.wasmlet.plugin,\"\",@\n"                                     \
          ".ascii \"{\\\"name\\\":\\\"" name "\\\",\\\"version\\\":\\\"" version                 \
          "\\\",\\\"description\\\":\\\"" description "\\\"}\"\n"                               \
          ".text\n")

/* ---- raw ABI (module "wasmlet") ---- */
WASMLET_IMPORT(input_len) int32_t wasmlet_input_len(void);
WASMLET_IMPORT(input_read) int32_t wasmlet_input_read(void* buf, int32_t len);
WASMLET_IMPORT(output_set) void wasmlet_output_set(const void* buf, int32_t len);
WASMLET_IMPORT(log) void wasmlet_log(int32_t level, const char* msg, int32_t len);
WASMLET_IMPORT(config_get) int32_t wasmlet_config_get(const char* key, int32_t key_len, char* buf, int32_t buf_len);
WASMLET_IMPORT(http_request) int32_t wasmlet_http_request(const char* request_json, int32_t len);
WASMLET_IMPORT(response_len) int32_t wasmlet_response_len(void);
WASMLET_IMPORT(response_read) int32_t wasmlet_response_read(void* buf, int32_t len);

enum { WASMLET_TRACE = 0, WASMLET_DEBUG = 1, WASMLET_INFO = 2, WASMLET_WARN = 3, WASMLET_ERROR = 4 };
enum { WASMLET_HTTP_OK = 0, WASMLET_HTTP_DENIED = 1, WASMLET_HTTP_FAILED = 2, WASMLET_HTTP_BAD_REQUEST = 3 };

/* ---- convenience ---- */

/* The whole input in a malloc'd, NUL-terminated buffer (NULL if out of memory). */
static inline char* wasmlet_input(size_t* len_out) {
  int32_t n = wasmlet_input_len();
  char* buf = (char*)malloc((size_t)n + 1);
  if (!buf) return NULL;
  int32_t got = wasmlet_input_read(buf, n);
  buf[got] = '\0';
  if (len_out) *len_out = (size_t)got;
  return buf;
}

/* Sets the output; returns 0 so `return wasmlet_output(...)` reports success. */
static inline int wasmlet_output(const void* data, size_t len) {
  wasmlet_output_set(data, (int32_t)len);
  return 0;
}
static inline int wasmlet_output_str(const char* s) { return wasmlet_output(s, strlen(s)); }

/* Reports failure with a message; returns 1 so `return wasmlet_fail("...")` works. */
static inline int wasmlet_fail(const char* message) {
  wasmlet_output_set(message, (int32_t)strlen(message));
  return 1;
}

static inline void wasmlet_log_str(int32_t level, const char* msg) { wasmlet_log(level, msg, (int32_t)strlen(msg)); }

/* The host-provided config value for `key`, malloc'd and NUL-terminated, or NULL. */
static inline char* wasmlet_config(const char* key) {
  int32_t n = wasmlet_config_get(key, (int32_t)strlen(key), NULL, 0);
  if (n < 0) return NULL;
  char* buf = (char*)malloc((size_t)n + 1);
  if (!buf) return NULL;
  wasmlet_config_get(key, (int32_t)strlen(key), buf, n);
  buf[n] = '\0';
  return buf;
}

/* Performs an HTTP request described by JSON {"method","url","headers":{},"body"}.
 * Returns a WASMLET_HTTP_* status; *response gets (malloc'd, NUL-terminated)
 * the response JSON {"status","headers","body"} on success, or the reason. */
static inline int32_t wasmlet_http(const char* request_json, char** response) {
  int32_t status = wasmlet_http_request(request_json, (int32_t)strlen(request_json));
  int32_t n = wasmlet_response_len();
  char* buf = (char*)malloc((size_t)n + 1);
  if (buf) {
    int32_t got = wasmlet_response_read(buf, n);
    buf[got] = '\0';
  }
  if (response) *response = buf; else free(buf);
  return status;
}

/* Appends `s` as a JSON string literal (quoted, escaped) to dst, which must
 * have room for 6 * strlen(s) + 3 bytes; returns the end (a NUL is written). */
static inline char* wasmlet_json_quote(char* dst, const char* s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  *dst++ = '"';
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') { *dst++ = '\\'; *dst++ = (char)c; }
    else if (c == '\n') { *dst++ = '\\'; *dst++ = 'n'; }
    else if (c == '\r') { *dst++ = '\\'; *dst++ = 'r'; }
    else if (c == '\t') { *dst++ = '\\'; *dst++ = 't'; }
    else if (c < 0x20) { memcpy(dst, "\\u00", 4); dst += 4; *dst++ = hex[c >> 4]; *dst++ = hex[c & 15]; }
    else *dst++ = (char)c;
  }
  *dst++ = '"';
  *dst = '\0';
  return dst;
}

#ifdef __cplusplus
}
#endif
#endif /* WASMLET_PLUGIN_GUEST_H */
