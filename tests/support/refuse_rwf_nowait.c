// An LD_PRELOAD shim that makes pwritev2 behave as a kernel that refuses
// RWF_NOWAIT for every file (older kernels do for pipes; 6.18 still does for
// a named FIFO): such a write fails with EOPNOTSUPP and writes nothing. As the
// kernel does, a write of no bytes returns 0 before the flags are looked at,
// so a zero-length probe cannot tell refusal from support.
//
// With REFUSE_RWF_APPEND set ("EOPNOTSUPP", as kernels before 4.16 and
// glibc's emulation answer, or "EINVAL"), it refuses RWF_APPEND too, with that
// errno.
//
// Each refusal appends one byte to the file named by REFUSE_RWF_NOWAIT_LOG
// (when set), so a test can check the shim was really hit: 'r' for
// RWF_NOWAIT, 'a' for RWF_APPEND.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*pwritev2_fn)(int, const struct iovec*, int, off_t, int);

static void note_refusal(const char* what) {
  const char* log = getenv("REFUSE_RWF_NOWAIT_LOG");
  if (!log) return;
  int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  (void)!write(fd, what, 1);
  close(fd);
}

// The errno REFUSE_RWF_APPEND asks RWF_APPEND to be refused with, or 0.
static int append_refusal(void) {
  const char* how = getenv("REFUSE_RWF_APPEND");
  if (!how) return 0;
  return strcmp(how, "EINVAL") == 0 ? EINVAL : EOPNOTSUPP;
}

static ssize_t refuse_or_forward(const char* name, int fd, const struct iovec* iov, int count, off_t offset,
                                 int flags) {
  size_t total = 0;
  for (int i = 0; i < count; ++i) total += iov[i].iov_len;
  if ((flags & RWF_NOWAIT) && total > 0) {
    note_refusal("r");
    errno = EOPNOTSUPP;
    return -1;
  }
  const int refuse_append = (flags & RWF_APPEND) ? append_refusal() : 0;
  if (refuse_append && total > 0) {
    note_refusal("a");
    errno = refuse_append;
    return -1;
  }
  pwritev2_fn next = (pwritev2_fn)dlsym(RTLD_NEXT, name);
  if (!next) {
    errno = ENOSYS;
    return -1;
  }
  return next(fd, iov, count, offset, flags);
}

ssize_t pwritev2(int fd, const struct iovec* iov, int count, off_t offset, int flags) {
  return refuse_or_forward("pwritev2", fd, iov, count, offset, flags);
}

// The name glibc's headers pick with _FILE_OFFSET_BITS=64.
ssize_t pwritev64v2(int fd, const struct iovec* iov, int count, off_t offset, int flags) {
  return refuse_or_forward("pwritev64v2", fd, iov, count, offset, flags);
}
