// Memory-bound loops: sieve of Eratosthenes, repeated.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  int limit = argc > 1 ? atoi(argv[1]) : 10000000;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  char* composite = malloc(limit + 1);
  long count = 0;
  for (int r = 0; r < rounds; ++r) {
    memset(composite, 0, limit + 1);
    count = 0;
    // 64-bit indices: long is 32 bits on wasm32, and i * i overflows it.
    for (long long i = 2; i <= limit; ++i) {
      if (composite[i]) continue;
      ++count;
      for (long long j = i * i; j <= limit; j += i) composite[j] = 1;
    }
  }
  printf("primes <= %d: %ld\n", limit, count);
  free(composite);
  return 0;
}
