#include "serve_paths.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::server {

namespace fs = std::filesystem;

namespace {

// The nearest of `path` and its parents that exists, when it is not a
// directory: what keeps create_directories(path) from working.
std::optional<fs::path> file_in_the_way(const fs::path& path) {
  std::error_code ec;
  for (fs::path p = path; !p.empty(); p = p.parent_path()) {
    auto st = fs::status(p, ec);
    if (fs::exists(st)) return fs::is_directory(st) ? std::nullopt : std::optional<fs::path>(p);
    if (p == p.parent_path()) break;
  }
  return std::nullopt;
}

// create_directories(dir), or an Error naming what is in the way; `what`
// says which directory it is ("the data dir 'D'").
void create_directory_for(const fs::path& dir, const std::string& what, const std::string& instead) {
  if (auto file = file_in_the_way(dir)) {
    if (*file == dir) throw Error(fmt::format("{} is a file, not a directory: {}", what, instead));
    throw Error(fmt::format("cannot create {}: '{}' is a file, not a directory; {}", what, file->string(), instead));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}; {}", what, ec.message(), instead));
}

}  // namespace

void prepare_data_dir(const fs::path& data_dir) {
  create_directory_for(data_dir, fmt::format("the data dir '{}'", data_dir.string()),
                       "give --data-dir (or $WASMLET_DATA_DIR) a directory; a missing one is created");
  fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace);
}

void claim_socket_path(const fs::path& path) {
  const std::string instead = "give --socket (or $WASMLET_SOCKET) the path of the socket file to create";
  const std::string directory =
      fmt::format("the directory '{}' of the socket path '{}'", path.parent_path().string(), path.string());
  create_directory_for(path.parent_path(), directory, instead);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw Error(fmt::format("cannot use the socket path '{}': {}", path.string(), std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode))
    throw Error(fmt::format("the socket path '{}' is a directory; {} in it, e.g. --socket {}", path.string(), instead,
                            (path / "wasmlet.sock").string()));
  if (!S_ISSOCK(st.st_mode))
    throw Error(fmt::format("{} exists and is not a socket, so wasmlet leaves it alone; remove it yourself, or {} "
                            "elsewhere",
                            path.string(), instead));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Error(fmt::format("cannot use the socket path '{}': {}", path.string(), std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::close(fd);
  if (rc == 0) throw Error(fmt::format("another daemon is listening on {}", path.string()));
  if (err != ECONNREFUSED)
    throw Error(fmt::format("cannot tell whether a daemon is listening on {}: {}", path.string(), std::strerror(err)));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw Error(fmt::format("cannot remove the stale socket {}: {}", path.string(), std::strerror(errno)));
}

}  // namespace wasmlet::server
