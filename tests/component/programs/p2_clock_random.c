// Clocks and random numbers; prints only what is the same on every run.
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec a, b, w;
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long elapsed = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  printf("monotonic advances: %s\n", elapsed >= 20000000LL ? "yes" : "no");
  clock_gettime(CLOCK_REALTIME, &w);
  printf("wall clock after 2020: %s\n", w.tv_sec > 1577836800 ? "yes" : "no");
  unsigned char r1[16] = {0}, r2[16] = {0};
  getentropy(r1, sizeof r1);
  getentropy(r2, sizeof r2);
  int same = 1;
  for (int i = 0; i < 16; ++i) same &= r1[i] == r2[i];
  printf("random differs: %s\n", same ? "no" : "yes");
  return 0;
}
