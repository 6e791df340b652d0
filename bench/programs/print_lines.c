// Output-heavy: writes 2 million short lines through stdio.
// 64-bit types throughout: long is 32 bits on wasm32 but 64 natively.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : 2000000;
  uint64_t sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    printf("line %" PRId64 " value %" PRIu64 "\n", i, (uint64_t)i * 2654435761u);
    sum += (uint64_t)i;
  }
  fprintf(stderr, "wrote %" PRId64 " lines (sum %" PRIu64 ")\n", n, sum);
  return 0;
}
