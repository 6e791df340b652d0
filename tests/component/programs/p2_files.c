// File I/O in a preopen, read-only denial and escape attempts; the same
// output is expected as a preview1 module and as a component.
// Preopens: /data (read-write, holds nothing), /ro (read-only, holds in.txt).
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void try_open(const char* path, const char* mode) {
  FILE* f = fopen(path, mode);
  if (f) {
    printf("open %s %s: ok\n", path, mode);
    fclose(f);
  } else {
    printf("open %s %s: %s\n", path, mode, errno == ENOENT ? "no entry" : "refused");
  }
}

int main(void) {
  FILE* f = fopen("/data/out.txt", "w");
  if (!f) { printf("cannot create /data/out.txt\n"); return 2; }
  fputs("written line\n", f);
  fclose(f);
  char buf[64] = {0};
  f = fopen("/data/out.txt", "r");
  if (!f || !fgets(buf, sizeof buf, f)) { printf("cannot read back\n"); return 3; }
  fclose(f);
  printf("read back: %s", buf);
  f = fopen("/ro/in.txt", "r");
  if (f && fgets(buf, sizeof buf, f)) printf("ro: %s", buf);
  if (f) fclose(f);
  try_open("/ro/in.txt", "a");
  try_open("/ro/new.txt", "w");
  try_open("/data/../ro/in.txt", "r");
  try_open("/data/../../etc/passwd", "r");
  try_open("/etc/passwd", "r");
  try_open("/data/missing.txt", "r");
  return 0;
}
