#include "wasi_sys/inherited_output.h"

#include <sys/stat.h>
#include <unistd.h>

namespace wasmlet::wasi_sys {

InheritedOutput inherited_output_kind(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return InheritedOutput::Other;
  if (S_ISSOCK(st.st_mode)) return InheritedOutput::Socket;
  if (S_ISFIFO(st.st_mode)) return InheritedOutput::Pipe;
  if (::isatty(fd)) return InheritedOutput::MayBlock;
  return InheritedOutput::Other;
}

}  // namespace wasmlet::wasi_sys
