/* The smallest plugin: returns its input unchanged (used by the benchmark). */
#include "wasmlet/plugin_guest.h"

WASMLET_PLUGIN("echo", "1.0.0", "returns its input unchanged");

WASMLET_EXPORT(execute) int execute(void) {
  static char small[4096];
  int32_t n = wasmlet_input_len();
  char* buf = n <= (int32_t)sizeof small ? small : (char*)malloc((size_t)n);
  if (!buf) return wasmlet_fail("out of memory");
  wasmlet_input_read(buf, n);
  return wasmlet_output(buf, (size_t)n);
}
