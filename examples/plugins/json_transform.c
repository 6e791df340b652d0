/* A JSON transformer: upper-cases (or, with config case=lower, lower-cases)
 * every string value of its input, leaving keys, numbers and structure alone,
 * and wraps the result: {"transformed": <input>, "strings": N}. */
#include <ctype.h>
#include <stdio.h>

#include "wasmlet/plugin_guest.h"

WASMLET_PLUGIN("json_transform", "1.2.0", "changes the case of every string value in a JSON document");

WASMLET_EXPORT(execute) int execute(void) {
  size_t n;
  char* in = wasmlet_input(&n);
  if (!in) return wasmlet_fail("out of memory");
  char* mode = wasmlet_config("case");
  int lower = mode && strcmp(mode, "lower") == 0;
  char* out = (char*)malloc(n + 64);
  if (!out) return wasmlet_fail("out of memory");
  char* o = out;
  o += sprintf(o, "{\"transformed\":");
  size_t strings = 0;
  for (size_t i = 0; i < n;) {
    if (in[i] != '"') { *o++ = in[i++]; continue; }
    /* A string: find its end, then decide whether it is a key (':' follows). */
    size_t start = i++;
    while (i < n && in[i] != '"') i += in[i] == '\\' ? 2 : 1;
    size_t end = i < n ? i + 1 : n;
    size_t k = end;
    while (k < n && isspace((unsigned char)in[k])) ++k;
    int is_key = k < n && in[k] == ':';
    for (size_t j = start; j < end; ++j) {
      char c = in[j];
      if (c == '\\' && j + 1 < end) { /* an escape sequence is copied as is */
        *o++ = c;
        *o++ = in[++j];
        if (in[j] == 'u') for (int h = 0; h < 4 && j + 1 < end; ++h) *o++ = in[++j];
        continue;
      }
      if (!is_key) c = (char)(lower ? tolower((unsigned char)c) : toupper((unsigned char)c));
      *o++ = c;
    }
    if (!is_key) ++strings;
    i = end;
  }
  o += sprintf(o, ",\"strings\":%zu}", strings);
  wasmlet_log_str(WASMLET_DEBUG, "transformed");
  return wasmlet_output(out, (size_t)(o - out));
}
