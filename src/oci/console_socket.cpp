#include "oci/console_socket.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "wasmlet/error.h"

namespace wasmlet::oci {

Pty open_pty(unsigned rows, unsigned cols) {
  Pty pty;
  pty.master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty.master < 0 || grantpt(pty.master) != 0 || unlockpt(pty.master) != 0)
    throw Error(fmt::format("cannot open a pseudo-terminal: {}", std::strerror(errno)));
  char name[128];
  if (ptsname_r(pty.master, name, sizeof name) != 0 || (pty.slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
    throw Error(fmt::format("cannot open the pseudo-terminal's slave: {}", std::strerror(errno)));
  if (rows && cols) {
    winsize size{};
    size.ws_row = static_cast<unsigned short>(rows);
    size.ws_col = static_cast<unsigned short>(cols);
    ioctl(pty.master, TIOCSWINSZ, &size);
  }
  return pty;
}

void send_console(const std::string& socket_path, int fd) {
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path)
    throw Error(fmt::format("console socket path {} is too long", socket_path));
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (sock < 0 || ::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (sock >= 0) ::close(sock);
    throw Error(fmt::format("cannot connect to the console socket {}: {}", socket_path, std::strerror(err)));
  }
  // The payload is the terminal's name, as runc sends it; the fd rides along.
  char payload[] = "/dev/ptmx";
  iovec iov{payload, sizeof payload - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t sent = ::sendmsg(sock, &msg, 0);
  int err = errno;
  ::close(sock);
  if (sent < 0) throw Error(fmt::format("cannot send the terminal over {}: {}", socket_path, std::strerror(err)));
}

void make_controlling_terminal(int slave) {
  setsid();
  ioctl(slave, TIOCSCTTY, 0);
  for (int target = 0; target <= 2; ++target) dup2(slave, target);
  if (slave > 2) ::close(slave);
}

}  // namespace wasmlet::oci
