#include "wasi_context.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "wasi/guest_stdin.h"
#include "wasmlet/error.h"
#include "wasmlet/store.h"

namespace wasmlet::wasi {

uint8_t filetype_from_mode(unsigned mode, int fd) {
  switch (mode & S_IFMT) {
    case S_IFREG: return filetype::regular_file;
    case S_IFDIR: return filetype::directory;
    case S_IFLNK: return filetype::symbolic_link;
    case S_IFCHR: return filetype::character_device;
    case S_IFBLK: return filetype::block_device;
    case S_IFSOCK: {
      int type = SOCK_STREAM;
      socklen_t len = sizeof type;
      if (fd >= 0) ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
      return type == SOCK_DGRAM ? filetype::socket_dgram : filetype::socket_stream;
    }
    default: return filetype::unknown;  // fifos included, like wasmtime
  }
}

uint8_t filetype_from_dirent(unsigned char d_type) {
  switch (d_type) {
    case DT_REG: return filetype::regular_file;
    case DT_DIR: return filetype::directory;
    case DT_LNK: return filetype::symbolic_link;
    case DT_CHR: return filetype::character_device;
    case DT_BLK: return filetype::block_device;
    case DT_SOCK: return filetype::socket_stream;
    default: return filetype::unknown;
  }
}

namespace {

void write_all(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    done += static_cast<size_t>(n);
  }
}

std::shared_ptr<FdEntry> make_stdin(const WasiConfig& config) {
  auto e = std::make_shared<FdEntry>();
  e->kind = FdKind::File;
  // Non-blocking host fd: a fifo must not block the thread where the
  // interrupt fd cannot reach it; reads wait in poll instead.
  GuestStdin in = open_guest_stdin(config, /*non_blocking=*/true);
  if (!in.error.empty()) throw UsageError(in.error);
  if (in.fd < 0) in.fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in.fd < 0) throw UsageError(fmt::format("cannot open stdin file '/dev/null': {}", std::strerror(errno)));
  e->host = UniqueFd(in.fd);
  struct stat st;
  ::fstat(in.fd, &st);
  e->filetype = filetype_from_mode(st.st_mode);
  e->rights_base = right::stream_in;
  if (e->filetype == filetype::regular_file) e->rights_base |= right::fd_seek | right::fd_tell | right::fd_advise;
  return e;
}

// `inherited`: output goes straight to the host's own stdout/stderr.
std::shared_ptr<FdEntry> make_output(OutputStream stream, bool inherited) {
  auto e = std::make_shared<FdEntry>();
  e->kind = FdKind::Output;
  e->stream = stream;
  // A character device without seek: libc treats it as a terminal and line
  // buffers, which keeps stdout and stderr interleaved as written in a
  // captured log. Output that goes to the host's own stdout or stderr shows
  // what that is instead: isatty() in the guest answers as it would natively.
  e->filetype = filetype::character_device;
  const int host_fd = stream == OutputStream::Stdout ? STDOUT_FILENO : STDERR_FILENO;
  if (inherited && !::isatty(host_fd)) e->filetype = filetype::unknown;
  e->rights_base = right::stream_out;
  return e;
}

}  // namespace

}  // namespace wasmlet::wasi

namespace wasmlet {

void attach_wasi(Store& store, WasiConfig config) {
  using namespace wasi;
  // Listeners belong to the context from the start, so they are closed even
  // if a later step fails.
  std::vector<UniqueFd> listeners;
  for (int fd : config.listeners) listeners.emplace_back(fd);
  wasi_sys::raise_fd_limit();

  auto ctx = std::make_shared<WasiContext>();
  ctx->args = std::move(config.args);
  ctx->env = std::move(config.env);
  const bool inherited = !config.output;
  ctx->output_inherited = inherited;
  ctx->output = config.output ? std::move(config.output) : [](OutputStream s, std::span<const uint8_t> bytes) {
    write_all(s == OutputStream::Stdout ? STDOUT_FILENO : STDERR_FILENO, bytes);
  };
  ctx->fds.insert(make_stdin(config));
  ctx->fds.insert(make_output(OutputStream::Stdout, inherited));
  ctx->fds.insert(make_output(OutputStream::Stderr, inherited));

  for (auto& l : listeners) {
    struct stat st;
    if (::fstat(l.get(), &st) != 0 || !S_ISSOCK(st.st_mode))
      throw UsageError(fmt::format("listener fd {} is not a socket", l.get()));
    int fl = ::fcntl(l.get(), F_GETFL);
    ::fcntl(l.get(), F_SETFL, fl | O_NONBLOCK);
    auto e = std::make_shared<FdEntry>();
    e->kind = FdKind::Listener;
    e->filetype = filetype_from_mode(st.st_mode, l.get());
    e->host = std::move(l);
    e->rights_base = right::socket_listener;
    e->rights_inheriting = right::socket_stream;
    ctx->fds.insert(std::move(e));
  }

  for (const auto& p : config.preopens) {
    int fd = ::open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      throw UsageError(fmt::format("cannot preopen directory '{}' (as '{}'): {}", p.host_path.string(), p.guest_path,
                                   std::strerror(errno)));
    auto e = std::make_shared<FdEntry>();
    e->kind = FdKind::Directory;
    e->host = UniqueFd(fd);
    e->filetype = filetype::directory;
    e->rights_base = right::directory;
    e->rights_inheriting = right::directory_inheriting;
    e->read_only = p.read_only;
    if (p.max_bytes) e->quota = wasi_sys::DirQuota::of(p.host_path, *p.max_bytes);
    e->preopen = p.guest_path;
    ctx->fds.insert(std::move(e));
  }
  store.set_host_state(std::move(ctx));
}

}  // namespace wasmlet
