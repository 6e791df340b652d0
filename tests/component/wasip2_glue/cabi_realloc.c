// The allocator the host calls (canon lower's `realloc` option) to return a
// list, e.g. the bytes of input-stream.blocking-read. wit-component also
// hands it to the preview1 adapter for its own state.
#include <stdlib.h>
#include <string.h>

__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* old, size_t old_size, size_t align,
                                                                 size_t new_size) {
  if (old_size == 0) old = NULL;           // "realloc(0, 0, align, size)" is a fresh allocation
  if (new_size == 0) return (void*)align;  // a non-null, aligned address for an empty list
  void* p;
  if (align <= 16) {
    p = realloc(old, new_size);  // malloc's 16-byte alignment covers every WIT type
  } else {
    p = aligned_alloc(align, (new_size + align - 1) / align * align);
    if (p && old) {
      memcpy(p, old, old_size < new_size ? old_size : new_size);
      free(old);
    }
  }
  if (!p) abort();
  return p;
}
