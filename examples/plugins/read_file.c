/* Reads a file the host allowed (input {"path": "/data/notes.txt"}) and
 * returns {"path": ..., "size": N, "content": "..."}. Paths outside the
 * granted directories fail with the WASI error. */
#include <errno.h>
#include <stdio.h>

#include "wasmlet/plugin_guest.h"

WASMLET_PLUGIN("read_file", "1.0.0", "returns the content of a file under an allowed path");

/* The string value of "path" in a flat JSON object (no escapes in it). */
static int find_path(const char* in, char* path, size_t cap) {
  const char* p = strstr(in, "\"path\"");
  if (!p) return 0;
  p = strchr(p + 6, '"');
  if (!p) return 0;
  const char* e = strchr(++p, '"');
  if (!e || (size_t)(e - p) >= cap) return 0;
  memcpy(path, p, (size_t)(e - p));
  path[e - p] = '\0';
  return 1;
}

WASMLET_EXPORT(execute) int execute(void) {
  char* in = wasmlet_input(NULL);
  char path[1024];
  if (!in || !find_path(in, path, sizeof path)) return wasmlet_fail("input must be {\"path\": \"...\"}");
  FILE* f = fopen(path, "rb");
  if (!f) {
    char msg[1200];
    snprintf(msg, sizeof msg, "cannot open %s: %s", path, strerror(errno));
    return wasmlet_fail(msg);
  }
  size_t cap = 1 << 20, n = 0;
  char* data = (char*)malloc(cap);
  if (!data) return wasmlet_fail("out of memory");
  n = fread(data, 1, cap, f);
  fclose(f);
  char* out = (char*)malloc(6 * n + 2 * sizeof path + 64);
  if (!out) return wasmlet_fail("out of memory");
  char* o = out;
  o += sprintf(o, "{\"path\":");
  o = wasmlet_json_quote(o, path, strlen(path));
  o += sprintf(o, ",\"size\":%zu,\"content\":", n);
  o = wasmlet_json_quote(o, data, n);
  *o++ = '}';
  return wasmlet_output(out, (size_t)(o - out));
}
