/* The ABI between wasmlet (C++) and an AOT-compiled module (a shared object
 * built from wasm2c's C plus wasmlet's glue). Plain C: it is compiled into
 * every artifact and included by the engine. Bump WASMLET_AOT_ABI whenever
 * anything here or in the glue changes; the artifact cache keys on it. */
#ifndef WASMLET_AOT_ABI_H_
#define WASMLET_AOT_ABI_H_

#include <stddef.h>
#include <stdint.h>

#define WASMLET_AOT_ABI 13

/* One argument or result of a call across the boundary. */
typedef union {
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
} wasmlet_slot;

/* What the engine provides to the artifact (wasm-rt's memory functions and
 * traps are implemented by the engine; the glue forwards to these). */
typedef struct {
  uint32_t abi;
  /* Never returns. `function` is the C name of the guest function that
   * trapped (wasm2c's w2c_...) when the trap site knows it, else NULL. */
  void (*trap)(uint32_t code, void* pc, const char* function);
  /* Never returns: an out-of-bounds memory access found by an explicit
   * check, `first_byte` past the end of a memory (or data segment) of
   * `size` bytes (a fault finds its byte by its address). */
  void (*memory_trap)(uint64_t first_byte, uint64_t size, void* pc, const char* function);
  void (*allocate_memory)(void* memory, uint32_t initial_pages, uint32_t max_pages);
  uint32_t (*grow_memory)(void* memory, uint32_t delta_pages);
  void (*free_memory)(void* memory);
  /* Runs import `index` (the artifact's import table order) for the
   * instance context `ctx`: arguments in slots[0..], results written back.
   * `caller` is the return address in the calling guest function. */
  void (*call_import)(void* ctx, uint32_t index, wasmlet_slot* slots, void* caller);
  /* The item (wasm_rt_memory_t*, wasm_rt_funcref_table_t*, pointer to a
   * global's value) that import `index` of a memory, table or global is
   * bound to: another instance's, linked by the engine. */
  void* (*import_item)(void* ctx, uint32_t index);
  /* Function types are process-wide, so that a funcref put into a table by
   * one artifact passes another artifact's call_indirect type check. */
  uint32_t (*register_func_type)(uint32_t params, uint32_t results, const uint8_t* types);
  /* A table (wasm_rt_funcref_table_t* or wasm_rt_externref_table_t*) grows
   * by `entries` (or gives back that many after a failed allocation, when
   * negative): charged to the Store's memory limit; 0 refuses the growth,
   * with nothing charged. A freed table gives back what its growth took. */
  uint32_t (*charge_table_growth)(void* table, int64_t entries);
  void (*free_table)(void* table);
} wasmlet_aot_host;

enum { WASMLET_EXPORT_FUNC = 0, WASMLET_EXPORT_TABLE = 1, WASMLET_EXPORT_MEMORY = 2, WASMLET_EXPORT_GLOBAL = 3 };

/* Names are byte strings of the given length (a wasm name may hold NUL). */
typedef struct {
  const char* name;
  uint32_t kind;
  void (*invoke)(void* instance, wasmlet_slot* slots); /* functions */
  /* memories (wasm_rt_memory_t*), tables (wasm_rt_funcref_table_t* or
   * wasm_rt_externref_table_t*) and globals (pointer to the value) */
  void* (*get)(void* instance);
  uint32_t name_length;
} wasmlet_aot_export;

typedef struct {
  const char* module;
  const char* name;
  uint32_t kind; /* WASMLET_EXPORT_* numbering */
  uint32_t module_length, name_length;
} wasmlet_aot_import;

/* A function in the guest section: first the module's defined functions in
 * function index order, then the other generated code up to a {NULL, NULL}
 * end marker: exported wrappers, named after the function they wrap, and
 * set-up code, whose name is NULL. */
typedef struct {
  const void* code;
  const char* name; /* wasm2c's C name */
} wasmlet_guest_function;

typedef struct {
  uint32_t abi;
  const char* key; /* the cache key the artifact was built for */
  size_t instance_size;
  uint64_t initial_memory_pages; /* all defined memories together (imported ones are not counted) */
  void (*init_module)(void); /* idempotent, thread-safe */
  void (*instantiate)(void* instance, void* ctx); /* runs the start function */
  void (*free_instance)(void* instance);
  uint32_t num_imports;
  const wasmlet_aot_import* imports;
  uint32_t num_exports;
  const wasmlet_aot_export* exports;
  uint32_t first_function_index; /* index of functions[0]: the number of function imports */
  uint32_t num_functions;
  const wasmlet_guest_function* functions;
  /* The guest functions' code: a signal that interrupts the guest there may
   * unwind it; anywhere else (host or runtime code) it must wait. */
  const char* guest_text_begin;
  const char* guest_text_end;
} wasmlet_aot_module;

#define WASMLET_AOT_ENTRY "wasmlet_aot_entry"
typedef const wasmlet_aot_module* (*wasmlet_aot_entry_fn)(const wasmlet_aot_host* host);

/* Trap codes beyond wasm-rt's wasm_rt_trap_t. */
#define WASMLET_TRAP_HOST 100u          /* a host function ended the guest */
#define WASMLET_TRAP_TABLE_BOUNDS 101u  /* call_indirect past the table's end */
#define WASMLET_TRAP_NULL_ELEMENT 102u  /* call_indirect of an uninitialised element */
#define WASMLET_TRAP_STOP 103u          /* interrupted or past its deadline (interrupt_watch.h) */

#endif
