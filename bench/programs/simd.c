// SIMD128: kernels written with GCC/Clang vector extensions, so clang
// compiles them to wasm SIMD128 (-msimd128) and gcc to SSE2 natively:
// f32x4 saxpy with a clamp (mul, add, min/max as compare + select), a u8
// image blur widened to u16 lanes and narrowed back, an i32x4 multiply-xor
// hash, and an i8x16 byte count (compare, mask add).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef float f32x4 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));
typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef uint16_t u16x8 __attribute__((vector_size(16)));
typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x8 __attribute__((vector_size(8)));

static f32x4 load_f32x4(const float* p) { f32x4 v; memcpy(&v, p, 16); return v; }
static void store_f32x4(float* p, f32x4 v) { memcpy(p, &v, 16); }
static u8x16 load_u8x16(const uint8_t* p) { u8x16 v; memcpy(&v, p, 16); return v; }

static f32x4 select_f32x4(i32x4 mask, f32x4 a, f32x4 b) {
  return (f32x4)(((i32x4)a & mask) | ((i32x4)b & ~mask));
}

// y = clamp(a * x + y, -limit, limit)
static void saxpy_clamped(float* y, const float* x, float a, int n, float limit) {
  f32x4 va = {a, a, a, a}, hi = {limit, limit, limit, limit}, lo = -hi;
  for (int i = 0; i < n; i += 4) {
    f32x4 r = va * load_f32x4(x + i) + load_f32x4(y + i);
    r = select_f32x4(r > hi, hi, r);
    r = select_f32x4(r < lo, lo, r);
    store_f32x4(y + i, r);
  }
}

// out[i] = (in[i-1] + 2 in[i] + in[i+1] + 2) / 4 on a row of bytes, 16 at a time.
static void blur_row(uint8_t* out, const uint8_t* in, int n) {
  for (int i = 16; i + 32 <= n; i += 16) {
    u8x16 l = load_u8x16(in + i - 1), c = load_u8x16(in + i), r = load_u8x16(in + i + 1);
    u8x8 l0 = __builtin_shufflevector(l, l, 0, 1, 2, 3, 4, 5, 6, 7), l1 = __builtin_shufflevector(l, l, 8, 9, 10, 11, 12, 13, 14, 15);
    u8x8 c0 = __builtin_shufflevector(c, c, 0, 1, 2, 3, 4, 5, 6, 7), c1 = __builtin_shufflevector(c, c, 8, 9, 10, 11, 12, 13, 14, 15);
    u8x8 r0 = __builtin_shufflevector(r, r, 0, 1, 2, 3, 4, 5, 6, 7), r1 = __builtin_shufflevector(r, r, 8, 9, 10, 11, 12, 13, 14, 15);
    u16x8 s0 = __builtin_convertvector(l0, u16x8) + 2 * __builtin_convertvector(c0, u16x8) + __builtin_convertvector(r0, u16x8) + 2;
    u16x8 s1 = __builtin_convertvector(l1, u16x8) + 2 * __builtin_convertvector(c1, u16x8) + __builtin_convertvector(r1, u16x8) + 2;
    u8x8 o0 = __builtin_convertvector(s0 >> 2, u8x8), o1 = __builtin_convertvector(s1 >> 2, u8x8);
    u8x16 o = __builtin_shufflevector(o0, o1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    memcpy(out + i, &o, 16);
  }
}

// A multiply-xorshift hash over 32-bit words, four lanes at once.
static u32x4 hash_words(const uint32_t* w, int n, u32x4 h) {
  for (int i = 0; i < n; i += 4) {
    u32x4 v;
    memcpy(&v, w + i, 16);
    h = (h ^ v) * 0x9e3779b1u;
    h ^= h >> 15;
    h += (h << 7) ^ v;
  }
  return h;
}

// How many bytes equal `needle`: each equal lane is -1, subtracted.
static uint32_t count_bytes(const uint8_t* p, int n, uint8_t needle) {
  u8x16 want = {0};
  want += needle;
  uint32_t total = 0;
  for (int i = 0; i < n; i += 16 * 255) {
    i8x16 acc = {0};
    for (int j = i; j < i + 16 * 255 && j < n; j += 16) acc -= (i8x16)(load_u8x16(p + j) == want);
    u8x16 u = (u8x16)acc;
    for (int k = 0; k < 16; ++k) total += u[k];
  }
  return total;
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  enum { N = 1 << 16 };
  float* x = malloc(N * sizeof(float));
  float* y = malloc(N * sizeof(float));
  uint8_t* img = malloc(N);
  uint8_t* tmp = malloc(N);
  uint32_t* words = malloc(N * sizeof(uint32_t));
  uint32_t seed = 12345;
  for (int i = 0; i < N; ++i) {
    seed = seed * 1103515245u + 12345u;
    x[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    y[i] = 0;
    img[i] = (uint8_t)(seed >> 24);
    words[i] = seed;
  }
  memcpy(tmp, img, N);
  u32x4 h = {1, 2, 3, 4};
  uint32_t count = 0;
  for (int r = 0; r < rounds; ++r) {
    saxpy_clamped(y, x, 0.75f + (float)(r % 7) * 0.125f, N, 100.0f);
    blur_row(tmp, img, N);
    blur_row(img, tmp, N);
    h = hash_words(words, N, h);
    count += count_bytes(img, N, (uint8_t)r);
  }
  double sum = 0;
  for (int i = 0; i < N; ++i) sum += y[i];
  uint32_t pixels = 0;
  for (int i = 0; i < N; ++i) pixels = pixels * 31 + img[i];
  printf("saxpy %.4f blur %08x hash %08x %08x %08x %08x count %u\n", sum, pixels, h[0], h[1], h[2], h[3], count);
  return 0;
}
