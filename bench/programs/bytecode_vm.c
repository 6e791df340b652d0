// Branchy, interpreter-style code: a small stack VM with a switch dispatch
// loop and builtins called through a function-pointer table (indirect calls).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, CALL, POP, HALT };

typedef int64_t (*builtin)(int64_t);
static int64_t twice(int64_t x) { return x * 2; }
static int64_t inc(int64_t x) { return x + 1; }
static int64_t mix(int64_t x) { return (x ^ (x >> 3)) & 0xffff; }
static builtin builtins[3] = {twice, inc, mix};

static int64_t run(const int64_t* code, int64_t counter) {
  int64_t stack[64];
  int sp = 0;
  int64_t acc = 0;
  stack[sp++] = counter;
  for (int pc = 0;;) {
    switch (code[pc++]) {
      case PUSH: stack[sp++] = code[pc++]; break;
      case ADD: --sp; stack[sp - 1] += stack[sp]; break;
      case SUB: --sp; stack[sp - 1] -= stack[sp]; break;
      case MUL: --sp; stack[sp - 1] *= stack[sp]; break;
      case DUP: stack[sp] = stack[sp - 1]; ++sp; break;
      case SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case JNZ: { int64_t target = code[pc++]; if (stack[--sp]) pc = (int)target; break; }
      case CALL: { int64_t f = code[pc++]; acc += builtins[f](stack[sp - 1]); break; }
      case POP: --sp; break;
      case HALT: return acc;
    }
  }
}

int main(int argc, char** argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : 5000000;
  // loop: counter on the stack; call builtins; counter -= 1; jnz loop
  const int64_t program[] = {CALL, 0, CALL, 1, CALL, 2, PUSH, 1, SUB, DUP, JNZ, 0, HALT};
  printf("vm result = %lld\n", (long long)run(program, n));
  return 0;
}
