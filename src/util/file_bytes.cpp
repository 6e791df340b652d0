#include "util/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace wasmlet::util {

namespace {

// read(2), retried when a signal interrupts it.
ssize_t read_some(int fd, uint8_t* into, size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, into, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

}  // namespace

bool read_file_bytes(const std::filesystem::path& path, std::vector<uint8_t>& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  out.resize(::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? size_t(st.st_size) : 0);
  size_t done = 0;
  ssize_t n = 0;
  for (;;) {
    if (done < out.size()) {
      n = read_some(fd, out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += size_t(n);
      continue;
    }
    // At the size fstat gave (or of a file without one, such as a pipe): a
    // small read tells the end from a file that is longer than it said.
    uint8_t more[1 << 16];
    n = read_some(fd, more, sizeof more);
    if (n <= 0) break;
    out.insert(out.end(), more, more + n);
    done += size_t(n);
  }
  const int saved = errno;
  ::close(fd);
  if (n < 0) {
    errno = saved;
    return false;
  }
  out.resize(done);
  return true;
}

bool write_all_and_sync(int fd, std::string_view text) {
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    done += size_t(n);
  }
  return ::fsync(fd) == 0;
}

}  // namespace wasmlet::util
