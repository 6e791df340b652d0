// An overlayfs mounted for a test, for the listings that must survive its
// copy-up: `dir()` is a directory that is only in the lower layer, filled
// with make_long_names(count), so the first change beneath it copies it up.
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "long_names.h"

namespace wasmlet::testing {

class OverlayMount {
 public:
  // Mounts beneath `root` (an empty directory the test owns); mounted() says
  // whether it could (root, and the overlay module), error() why not.
  OverlayMount(const std::filesystem::path& root, int count) : merged_(root / "merged") {
    for (const char* d : {"lower", "upper", "work", "merged"}) std::filesystem::create_directory(root / d);
    std::filesystem::create_directory(root / "lower" / "d");
    make_long_names(root / "lower" / "d", count);
    const std::string options = "lowerdir=" + (root / "lower").string() + ",upperdir=" + (root / "upper").string() +
                                ",workdir=" + (root / "work").string();
    if (::mount("overlay", merged_.c_str(), "overlay", 0, options.c_str()) == 0) mounted_ = true;
    else error_ = std::strerror(errno);
  }
  ~OverlayMount() {
    if (mounted_) ::umount2(merged_.c_str(), MNT_DETACH);
  }
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  std::filesystem::path dir() const { return merged_ / "d"; }

 private:
  std::filesystem::path merged_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace wasmlet::testing
