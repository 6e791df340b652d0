// File I/O through WASI: writes a file in 64 KiB chunks into the directory
// given as argv[1], reads it back, and checks it.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : ".";
  int megabytes = argc > 2 ? atoi(argv[2]) : 64;
  char path[512];
  snprintf(path, sizeof path, "%s/bench-file-io.bin", dir);
  static uint8_t chunk[65536];
  FILE* out = fopen(path, "wb");
  if (!out) { perror(path); return 1; }
  for (int i = 0; i < megabytes * 16; ++i) {
    memset(chunk, (uint8_t)i, sizeof chunk);
    if (fwrite(chunk, 1, sizeof chunk, out) != sizeof chunk) { perror("write"); return 1; }
  }
  fclose(out);
  FILE* in = fopen(path, "rb");
  if (!in) { perror(path); return 1; }
  uint64_t sum = 0;
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
    for (size_t i = 0; i < n; ++i) sum += chunk[i];
  fclose(in);
  remove(path);
  printf("read back %d MiB, byte sum %llu\n", megabytes, (unsigned long long)sum);
  return 0;
}
