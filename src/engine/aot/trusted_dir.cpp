#include "engine/aot/trusted_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace wasmlet::detail::aot {

std::string untrusted_reason(const std::filesystem::path& path, bool follow_link) {
  struct stat st{};
  if ((follow_link ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0)
    return fmt::format("{}: {}", path.string(), std::strerror(errno));
  if (S_ISLNK(st.st_mode)) return fmt::format("{} is a symbolic link", path.string());
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
    return fmt::format("{} is neither a directory nor a regular file", path.string());
  if (st.st_uid != ::geteuid())
    return fmt::format("{} belongs to user {}, not to this process's user {}", path.string(), st.st_uid, ::geteuid());
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fmt::format("{} is writable by {} (mode {:o})", path.string(), st.st_mode & S_IWOTH ? "other users" : "its group",
                       st.st_mode & 07777);
  return "";
}

std::string untrusted_cache_reason(const std::filesystem::path& cache_dir, const std::string& sub) {
  if (std::string why = untrusted_reason(cache_dir, true); !why.empty()) return why;
  return untrusted_reason(cache_dir / sub);
}

void create_private_dirs(const std::filesystem::path& dir, std::error_code& ec) {
  ec.clear();
  if (dir.empty() || std::filesystem::is_directory(dir, ec)) return;
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    create_private_dirs(dir.parent_path(), ec);
    if (ec) return;
  }
  // mkdir's mode is reduced by the umask, never widened: 0700 at most.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) ec = std::error_code(errno, std::generic_category());
}

}  // namespace wasmlet::detail::aot
