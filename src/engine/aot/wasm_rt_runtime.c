/* wasmlet's implementation of the wasm-rt interface (wasm-rt.h, wabt 1.0.32)
 * as seen from inside an AOT artifact. It is compiled into every artifact
 * together with wasm2c's output; everything that needs process-wide state
 * (memories, traps, signal handling, the Store's limits) forwards to the
 * engine through the wasmlet_aot_host table. Tables live in the instances
 * that define them (other instances may import them). */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-rt.h"

static const wasmlet_aot_host* wasmlet_host;

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

void wasm_rt_trap(wasm_rt_trap_t code) {
  wasmlet_host->trap((uint32_t)code, __builtin_return_address(0), NULL);
  __builtin_unreachable();
}

/* TRAP(...) in wasm2c's output, with the trapping function's C name. */
void wasmlet_trap_in(uint32_t code, const char* function) {
  wasmlet_host->trap(code, __builtin_return_address(0), function);
  __builtin_unreachable();
}

/* A memory bounds check that failed (c_codegen.cpp's RANGE_CHECK). */
void wasmlet_memory_trap_in(uint64_t first_byte, uint64_t size, const char* function) {
  wasmlet_host->memory_trap(first_byte, size, __builtin_return_address(0), function);
  __builtin_unreachable();
}

/* Replaces wasm2c's single CALL_INDIRECT trap so that the three causes are
 * told apart the way the interpreter reports them. */
void wasmlet_indirect_trap(uint32_t size, uint32_t index, const wasm_rt_funcref_t* data, const char* function) {
  uint32_t code = index >= size ? WASMLET_TRAP_TABLE_BOUNDS
                  : !data[index].func ? WASMLET_TRAP_NULL_ELEMENT
                                      : (uint32_t)WASM_RT_TRAP_CALL_INDIRECT;
  wasmlet_host->trap(code, __builtin_return_address(0), function);
  __builtin_unreachable();
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "no error";
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable";
    case WASM_RT_TRAP_CALL_INDIRECT: return "indirect call type mismatch";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    default: return "trap";
  }
}

/* Function types: registered with the engine, which numbers them
 * process-wide, so that a funcref stored by one artifact into another
 * instance's table passes that artifact's call_indirect check. The generated
 * init_module registers them once per artifact (under pthread_once). */
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  uint32_t n = params + results;
  uint8_t* types = (uint8_t*)malloc(n ? n : 1);
  if (!types) abort();
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < n; ++i) types[i] = (uint8_t)va_arg(ap, int);
  va_end(ap);
  uint32_t index = wasmlet_host->register_func_type(params, results, types);
  free(types);
  return index;
}

/* Exception handling is not compiled by this tier (modules using it run in
 * the interpreter); these only satisfy the linker. */
uint32_t wasm_rt_register_tag(uint32_t size) { return 0; }
void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) {}
void wasm_rt_throw(void) { wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION); }
static WASM_RT_UNWIND_TARGET* wasmlet_unwind_target;
WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) { return wasmlet_unwind_target; }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* target) { wasmlet_unwind_target = target; }
uint32_t wasm_rt_exception_tag(void) { return 0; }
uint32_t wasm_rt_exception_size(void) { return 0; }
void* wasm_rt_exception(void) { return NULL; }

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  wasmlet_host->allocate_memory(memory, initial_pages, max_pages);
}
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t pages) {
  return wasmlet_host->grow_memory(memory, pages);
}
void wasm_rt_free_memory(wasm_rt_memory_t* memory) { wasmlet_host->free_memory(memory); }

#define WASMLET_DEFINE_TABLE(type)                                                                   \
  void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t* table, uint32_t elements,          \
                                       uint32_t max_elements) {                                     \
    table->size = elements;                                                                          \
    table->max_size = max_elements;                                                                  \
    table->data = (wasm_rt_##type##_t*)calloc(elements ? elements : 1, sizeof(wasm_rt_##type##_t)); \
    if (!table->data) abort();                                                                       \
  }                                                                                                  \
  void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t* table) {                                \
    wasmlet_host->free_table(table);                                                                 \
    free(table->data);                                                                               \
    table->data = NULL;                                                                              \
    table->size = 0;                                                                                 \
  }                                                                                                  \
  uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t* table, uint32_t delta,             \
                                       wasm_rt_##type##_t init) {                                   \
    uint32_t old = table->size;                                                                      \
    uint64_t wanted = (uint64_t)old + delta;                                                         \
    if (wanted > table->max_size || wanted > (1u << 24)) return UINT32_MAX;                          \
    if (delta == 0) return old;                                                                      \
    if (!wasmlet_host->charge_table_growth(table, delta)) return UINT32_MAX;                         \
    wasm_rt_##type##_t* data =                                                                       \
        (wasm_rt_##type##_t*)realloc(table->data, (size_t)wanted * sizeof(wasm_rt_##type##_t));     \
    if (!data) {                                                                                     \
      wasmlet_host->charge_table_growth(table, -(int64_t)delta);                                     \
      return UINT32_MAX;                                                                             \
    }                                                                                                \
    for (uint64_t i = old; i < wanted; ++i) data[i] = init;                                          \
    table->data = data;                                                                              \
    table->size = (uint32_t)wanted;                                                                  \
    return old;                                                                                      \
  }
WASMLET_DEFINE_TABLE(funcref)
WASMLET_DEFINE_TABLE(externref)
