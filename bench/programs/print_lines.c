// Output-heavy: writes 2 million short lines through stdio.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000000;
  unsigned long sum = 0;
  for (long i = 0; i < n; ++i) {
    printf("line %ld value %lu\n", i, (unsigned long)(i * 2654435761u));
    sum += (unsigned long)i;
  }
  fprintf(stderr, "wrote %ld lines (sum %lu)\n", n, sum);
  return 0;
}
