// A directory full of long names, for the tests of huge listings.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace wasmlet::testing {

// Makes `count` empty files with 255-byte names in `dir`.
inline void make_long_names(const std::filesystem::path& dir, int count) {
  const int dirfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) throw std::runtime_error("cannot open " + dir.string());
  for (int i = 0; i < count; ++i) {
    const std::string name = std::string(248, 'n') + std::to_string(1000000 + i);
    const int fd = ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      ::close(dirfd);
      throw std::runtime_error("cannot create a file in " + dir.string());
    }
    ::close(fd);
  }
  ::close(dirfd);
}

}  // namespace wasmlet::testing
