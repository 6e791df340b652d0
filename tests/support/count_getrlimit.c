// An LD_PRELOAD shim that counts the reads of RLIMIT_NOFILE (getrlimit,
// and prlimit without a new limit) the process makes, and passes each on.
// A test loaded with it asks for the count through
// count_getrlimit_nofile_reads(), found with dlsym (absent: not preloaded).
#define _GNU_SOURCE
#undef _FILE_OFFSET_BITS  // getrlimit and getrlimit64 each its own symbol, as both are defined here
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

static long nofile_reads;

long count_getrlimit_nofile_reads(void) { return __atomic_load_n(&nofile_reads, __ATOMIC_SEQ_CST); }

static void count(__rlimit_resource_t resource) {
  if (resource == RLIMIT_NOFILE) __atomic_add_fetch(&nofile_reads, 1, __ATOMIC_SEQ_CST);
}

// The 64-bit calls take struct rlimit64, laid out as struct rlimit on the
// 64-bit hosts wasmlet runs on; only the pointer passes through here.
typedef int (*getrlimit_fn)(__rlimit_resource_t, void*);
typedef int (*prlimit_fn)(pid_t, __rlimit_resource_t, const void*, void*);

static int forward_getrlimit(const char* name, __rlimit_resource_t resource, void* limit) {
  count(resource);
  getrlimit_fn next = (getrlimit_fn)dlsym(RTLD_NEXT, name);
  if (!next) {
    errno = ENOSYS;
    return -1;
  }
  return next(resource, limit);
}

static int forward_prlimit(const char* name, pid_t pid, __rlimit_resource_t resource, const void* new_limit,
                           void* old_limit) {
  if (!new_limit && old_limit) count(resource);
  prlimit_fn next = (prlimit_fn)dlsym(RTLD_NEXT, name);
  if (!next) {
    errno = ENOSYS;
    return -1;
  }
  return next(pid, resource, new_limit, old_limit);
}

// Declared as glibc's headers declare them (the resource an enum in C with _GNU_SOURCE).
int getrlimit(__rlimit_resource_t resource, struct rlimit* limit) { return forward_getrlimit("getrlimit", resource, limit); }
int getrlimit64(__rlimit_resource_t resource, struct rlimit64* limit) {
  return forward_getrlimit("getrlimit64", resource, limit);
}
int prlimit(pid_t pid, enum __rlimit_resource resource, const struct rlimit* new_limit, struct rlimit* old_limit) {
  return forward_prlimit("prlimit", pid, resource, new_limit, old_limit);
}
int prlimit64(pid_t pid, enum __rlimit_resource resource, const struct rlimit64* new_limit, struct rlimit64* old_limit) {
  return forward_prlimit("prlimit64", pid, resource, new_limit, old_limit);
}
