// wasi:sockets (0.2): network, instance-network, tcp, tcp-create-socket,
// udp, udp-create-socket, ip-name-lookup. Gated by the sockets capability: without it the
// interfaces are present (so components that merely import them link) but
// creating a socket or resolving a name answers access-denied. With it,
// WasiHostOptions can still refuse TCP or UDP sockets and limit the hosts
// reached (allowed_hosts), also answering access-denied.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <optional>

#include "component/wasi/host_state.h"
#include "wasi_sys/host_room.h"

namespace wasmlet::component::wasi {
namespace {

// network.error-code cases
enum SocketError : uint32_t {
  Unknown, AccessDenied, NotSupported, InvalidArgument, OutOfMemory, Timeout, ConcurrencyConflict, NotInProgress,
  WouldBlock, InvalidState, NewSocketLimit, AddressNotBindable, AddressInUse, RemoteUnreachable, ConnectionRefused,
  ConnectionReset, ConnectionAborted, DatagramTooLarge, NameUnresolvable, TemporaryResolverFailure,
  PermanentResolverFailure,
};

uint32_t socket_error(int e) {
  switch (e) {
    case EACCES: case EPERM: return AccessDenied;
    case EAFNOSUPPORT: case EOPNOTSUPP: case EPROTONOSUPPORT: return NotSupported;
    case EINVAL: return InvalidArgument;
    case ENOMEM: case ENOBUFS: return OutOfMemory;
    case ETIMEDOUT: return Timeout;
    case EALREADY: return ConcurrencyConflict;
    case EAGAIN: case EINPROGRESS: return WouldBlock;
    case EISCONN: case ENOTCONN: case EDESTADDRREQ: return InvalidState;
    case EMFILE: case ENFILE: return NewSocketLimit;
    case EADDRNOTAVAIL: return AddressNotBindable;
    case EADDRINUSE: return AddressInUse;
    case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN: return RemoteUnreachable;
    case ECONNREFUSED: return ConnectionRefused;
    case ECONNRESET: return ConnectionReset;
    case ECONNABORTED: return ConnectionAborted;
    case EMSGSIZE: return DatagramTooLarge;
    default: return Unknown;
  }
}

Val fail(uint32_t code) { return Val::err(Val::enumeration(code)); }
Val fail_errno() { return fail(socket_error(errno)); }

// The error to return for a new socket's `fd` (from socket() or accept4()),
// if any: that call's failure, or a refusal (closing `fd`) when the guest
// holds its most fds or the host's are nearly all taken
// (wasi_sys::leaves_host_room).
std::optional<Val> new_socket_error(int fd, const wasi_sys::FdSlot& slot) {
  if (fd < 0) return fail_errno();
  // The guest holds as many fds as one instance may (HostState::kMaxFds), or
  // the host's are nearly all taken.
  if (!slot || !wasi_sys::leaves_host_room(fd)) {
    ::close(fd);
    return fail(NewSocketLimit);
  }
  return std::nullopt;
}

// ip-socket-address <-> sockaddr
bool to_sockaddr(const Val& v, int family, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  const Val* rec = v.payload();
  if (!rec || rec->items.size() < 2) return false;
  if (v.index == 0) {
    if (family != AF_INET || rec->items[1].items.size() != 4) return false;
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(uint16_t(rec->items[0].i));
    uint8_t b[4];
    for (int i = 0; i < 4; ++i) b[i] = uint8_t(rec->items[1].items[i].i);
    std::memcpy(&sin->sin_addr, b, 4);
    len = sizeof(sockaddr_in);
    return true;
  }
  if (family != AF_INET6 || rec->items.size() < 4 || rec->items[2].items.size() != 8) return false;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(uint16_t(rec->items[0].i));
  sin6->sin6_flowinfo = htonl(uint32_t(rec->items[1].i));
  for (int i = 0; i < 8; ++i) {
    uint16_t w = htons(uint16_t(rec->items[2].items[i].i));
    std::memcpy(reinterpret_cast<uint8_t*>(&sin6->sin6_addr) + 2 * i, &w, 2);
  }
  sin6->sin6_scope_id = uint32_t(rec->items[3].i);
  len = sizeof(sockaddr_in6);
  return true;
}

Val ip_address(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto* b = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
    return Val::variant(0, Val::tuple({Val::integer(b[0]), Val::integer(b[1]), Val::integer(b[2]), Val::integer(b[3])}));
  }
  auto* a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  std::vector<Val> words;
  for (int i = 0; i < 8; ++i) words.push_back(Val::integer(a[2 * i] << 8 | a[2 * i + 1]));
  return Val::variant(1, Val::tuple(std::move(words)));
}

Val socket_address(const sockaddr_storage& ss) {
  auto* sa = reinterpret_cast<const sockaddr*>(&ss);
  Val ip = ip_address(sa);
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    return Val::variant(0, Val::record({Val::integer(ntohs(sin->sin_port)), *ip.payload()}));
  }
  auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  return Val::variant(1, Val::record({Val::integer(ntohs(sin6->sin6_port)), Val::integer(ntohl(sin6->sin6_flowinfo)),
                                      *ip.payload(), Val::integer(sin6->sin6_scope_id)}));
}

std::string address_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  const void* a = sa->sa_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr)
                                           : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  return inet_ntop(sa->sa_family, a, buf, sizeof buf) ? buf : "";
}

std::string lowercase(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// A name may be looked up when there is no allow-list or it is on it.
bool name_allowed(const HostState& s, const std::string& name) {
  if (s.options.allowed_hosts.empty()) return true;
  for (const auto& h : s.options.allowed_hosts)
    if (lowercase(h) == lowercase(name)) return true;
  return false;
}

// An address may be reached when there is no allow-list, a lookup of an
// allowed name returned it, or it is listed itself.
bool address_allowed(const HostState& s, const sockaddr_storage& ss) {
  if (s.options.allowed_hosts.empty()) return true;
  std::string text = address_text(reinterpret_cast<const sockaddr*>(&ss));
  if (s.resolved_addresses.count(text)) return true;
  for (const auto& h : s.options.allowed_hosts) {
    unsigned char buf[sizeof(in6_addr)];
    for (int family : {AF_INET, AF_INET6}) {
      if (inet_pton(family, h.c_str(), buf) != 1) continue;
      char norm[INET6_ADDRSTRLEN] = {};
      if (inet_ntop(family, buf, norm, sizeof norm) && text == norm) return true;
    }
  }
  return false;
}

// start-bind's work for tcp and udp: an error value, or nullopt once bound.
std::optional<Val> bind_to(int fd, int family, const Val& address) {
  sockaddr_storage ss;
  socklen_t len;
  if (!to_sockaddr(address, family, ss, len)) return fail(InvalidArgument);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail_errno();
  return std::nullopt;
}

// finish-bind / finish-listen: moves a socket from `from` to `to`.
template <typename Socket, typename State, typename Get>
WasiHost::Function finish(Get get, State from, State to) {
  return [get, from, to](std::span<const Val> a) -> std::optional<Val> {
    Socket& sock = get(a[0]);
    if (sock.state != from) return fail(NotInProgress);
    sock.state = to;
    return Val::ok();
  };
}

Val streams_for(HostState& s, const std::shared_ptr<UniqueFd>& fd) {
  uint32_t in = s.add(InputStream{InputStream::Kind::Socket, fd, 0, false});
  uint32_t out = s.add(OutputStream{OutputStream::Kind::Socket, fd, 0, false});
  return Val::tuple({Val::resource(in), Val::resource(out)});
}

}  // namespace

void add_sockets(HostState& s, Interfaces& into) {
  Interface network(into, "wasi:sockets/network", R"(
    use wasi:io/error.{error};
    resource network;
    enum error-code {
      unknown, access-denied, not-supported, invalid-argument, out-of-memory, timeout, concurrency-conflict,
      not-in-progress, would-block, invalid-state, new-socket-limit, address-not-bindable, address-in-use,
      remote-unreachable, connection-refused, connection-reset, connection-aborted, datagram-too-large,
      name-unresolvable, temporary-resolver-failure, permanent-resolver-failure,
    }
    enum ip-address-family { ipv4, ipv6 }
    type ipv4-address = tuple<u8, u8, u8, u8>;
    type ipv6-address = tuple<u16, u16, u16, u16, u16, u16, u16, u16>;
    variant ip-address { ipv4(ipv4-address), ipv6(ipv6-address) }
    record ipv4-socket-address { port: u16, address: ipv4-address }
    record ipv6-socket-address { port: u16, flow-info: u32, address: ipv6-address, scope-id: u32 }
    variant ip-socket-address { ipv4(ipv4-socket-address), ipv6(ipv6-socket-address) }
  )");
  network.def("network-error-code", "func(err: borrow<error>) -> option<error-code>") =
      [](std::span<const Val>) -> std::optional<Val> { return Val::none(); };
  Interface(into, "wasi:sockets/instance-network", "use wasi:sockets/network.{network};")
      .def("instance-network", "func() -> network") = [&s](std::span<const Val>) -> std::optional<Val> {
    return Val::resource(s.add(Network{}));
  };

  Interface tcp(into, "wasi:sockets/tcp", R"(
    use wasi:io/streams.{input-stream, output-stream};
    use wasi:io/poll.{pollable};
    use wasi:clocks/monotonic-clock.{duration};
    use wasi:sockets/network.{network, error-code, ip-socket-address, ip-address-family};
    enum shutdown-type { receive, send, both }
    resource tcp-socket;
  )");
  Interface(into, "wasi:sockets/tcp-create-socket", R"(
    use wasi:sockets/network.{network, error-code, ip-address-family};
    use wasi:sockets/tcp.{tcp-socket};
  )").def("create-tcp-socket", "func(address-family: ip-address-family) -> result<tcp-socket, error-code>") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    if (!s.options.allow_sockets || !s.options.allow_tcp) return fail(AccessDenied);
    int family = a[0].index == 0 ? AF_INET : AF_INET6;
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    wasi_sys::FdSlot slot = s.fd_slot();
    if (auto error = new_socket_error(fd, slot)) return error;
    if (family == AF_INET6) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    return Val::ok(Val::resource(s.add(TcpSocket{s.own_fd(fd, slot), family, TcpSocket::State::Unbound, 128})));
  };

  auto sock = [&s](const Val& v) -> TcpSocket& { return s.get<TcpSocket>(v, "tcp-socket"); };
  using State = TcpSocket::State;

  tcp.def("[method]tcp-socket.start-bind",
          "func(network: borrow<network>, local-address: ip-socket-address) -> result<_, error-code>") =
      [&s, sock](std::span<const Val> a) -> std::optional<Val> {
    auto& t = sock(a[0]);
    s.get<Network>(a[1], "network");
    if (t.state != State::Unbound) return fail(InvalidState);
    int one = 1;
    ::setsockopt(t.fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (auto error = bind_to(t.fd->get(), t.family, a[2])) return error;
    t.state = State::BindStarted;
    return Val::ok();
  };
  tcp.def("[method]tcp-socket.finish-bind", "func() -> result<_, error-code>") =
      finish<TcpSocket>(sock, State::BindStarted, State::Bound);
  tcp.def("[method]tcp-socket.start-listen", "func() -> result<_, error-code>") =
      [sock](std::span<const Val> a) -> std::optional<Val> {
    auto& t = sock(a[0]);
    if (t.state != State::Bound) return fail(InvalidState);
    if (::listen(t.fd->get(), int(std::min<uint64_t>(t.backlog, 4096))) != 0) return fail_errno();
    t.state = State::ListenStarted;
    return Val::ok();
  };
  tcp.def("[method]tcp-socket.finish-listen", "func() -> result<_, error-code>") =
      finish<TcpSocket>(sock, State::ListenStarted, State::Listening);
  tcp.def("[method]tcp-socket.accept",
          "func() -> result<tuple<tcp-socket, input-stream, output-stream>, error-code>") =
      [&s, sock](std::span<const Val> a) -> std::optional<Val> {
    auto& t = sock(a[0]);
    if (t.state != State::Listening) return fail(InvalidState);
    int fd = ::accept4(t.fd->get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    wasi_sys::FdSlot slot = s.fd_slot();
    if (auto error = new_socket_error(fd, slot)) return error;
    auto owned = s.own_fd(fd, slot);
    uint32_t client = s.add(TcpSocket{owned, t.family, State::Connected, 128});
    Val st = streams_for(s, owned);
    return Val::ok(Val::tuple({Val::resource(client), st.items[0], st.items[1]}));
  };
  tcp.def("[method]tcp-socket.start-connect",
          "func(network: borrow<network>, remote-address: ip-socket-address) -> result<_, error-code>") =
      [&s, sock](std::span<const Val> a) -> std::optional<Val> {
    auto& t = sock(a[0]);
    s.get<Network>(a[1], "network");
    if (t.state != State::Unbound && t.state != State::Bound) return fail(InvalidState);
    sockaddr_storage ss;
    socklen_t len;
    if (!to_sockaddr(a[2], t.family, ss, len)) return fail(InvalidArgument);
    if (!address_allowed(s, ss)) return fail(AccessDenied);
    if (::connect(t.fd->get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) return fail_errno();
    t.state = State::ConnectStarted;
    return Val::ok();
  };
  tcp.def("[method]tcp-socket.finish-connect",
          "func() -> result<tuple<input-stream, output-stream>, error-code>") =
      [&s, sock](std::span<const Val> a) -> std::optional<Val> {
    auto& t = sock(a[0]);
    if (t.state != State::ConnectStarted) return fail(NotInProgress);
    pollfd pfd{t.fd->get(), POLLOUT, 0};
    if (::poll(&pfd, 1, 0) == 0) return fail(WouldBlock);
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(t.fd->get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      t.state = State::Closed;
      return fail(socket_error(err));
    }
    t.state = State::Connected;
    return Val::ok(streams_for(s, t.fd));
  };
  auto address = [sock](bool local) {
    return [sock, local](std::span<const Val> a) -> std::optional<Val> {
      auto& t = sock(a[0]);
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      int r = local ? ::getsockname(t.fd->get(), reinterpret_cast<sockaddr*>(&ss), &len)
                    : ::getpeername(t.fd->get(), reinterpret_cast<sockaddr*>(&ss), &len);
      if (r != 0) return fail_errno();
      if (local && t.state == State::Unbound) return fail(InvalidState);
      return Val::ok(socket_address(ss));
    };
  };
  tcp.def("[method]tcp-socket.local-address", "func() -> result<ip-socket-address, error-code>") = address(true);
  tcp.def("[method]tcp-socket.remote-address", "func() -> result<ip-socket-address, error-code>") = address(false);
  tcp.def("[method]tcp-socket.is-listening", "func() -> bool") = [sock](std::span<const Val> a) -> std::optional<Val> {
    return Val::boolean(sock(a[0]).state == State::Listening);
  };
  tcp.def("[method]tcp-socket.address-family", "func() -> ip-address-family") =
      [sock](std::span<const Val> a) -> std::optional<Val> {
    return Val::enumeration(sock(a[0]).family == AF_INET ? 0 : 1);
  };
  tcp.def("[method]tcp-socket.set-listen-backlog-size", "func(value: u64) -> result<_, error-code>") =
      [sock](std::span<const Val> a) -> std::optional<Val> {
    auto& t = sock(a[0]);
    if (a[1].i == 0) return fail(InvalidArgument);
    t.backlog = uint64_t(a[1].i);
    return Val::ok();
  };
  auto int_option = [](std::function<int(const Val&)> fd_of, int level, int name, bool setter, uint64_t scale) {
    return [fd_of, level, name, setter, scale](std::span<const Val> a) -> std::optional<Val> {
      int fd = fd_of(a[0]);
      if (setter) {
        int v = int(uint64_t(a[1].i) / scale);
        if (a[1].kind == Val::Kind::Bool) v = a[1].b;
        return ::setsockopt(fd, level, name, &v, sizeof v) == 0 ? Val::ok() : fail_errno();
      }
      int v = 0;
      socklen_t len = sizeof v;
      if (::getsockopt(fd, level, name, &v, &len) != 0) return fail_errno();
      return Val::ok(Val::u64(uint64_t(v) * scale));
    };
  };
  auto tcp_fd = [sock](const Val& v) { return sock(v).fd->get(); };
  tcp.def("[method]tcp-socket.keep-alive-enabled", "func() -> result<bool, error-code>") =
      [sock](std::span<const Val> a) -> std::optional<Val> {
    int v = 0;
    socklen_t len = sizeof v;
    if (::getsockopt(sock(a[0]).fd->get(), SOL_SOCKET, SO_KEEPALIVE, &v, &len) != 0) return fail_errno();
    return Val::ok(Val::boolean(v != 0));
  };
  tcp.def("[method]tcp-socket.set-keep-alive-enabled", "func(value: bool) -> result<_, error-code>") =
      int_option(tcp_fd, SOL_SOCKET, SO_KEEPALIVE, true, 1);
  tcp.def("[method]tcp-socket.keep-alive-idle-time", "func() -> result<duration, error-code>") =
      int_option(tcp_fd, IPPROTO_TCP, TCP_KEEPIDLE, false, 1000000000ull);
  tcp.def("[method]tcp-socket.set-keep-alive-idle-time", "func(value: duration) -> result<_, error-code>") =
      int_option(tcp_fd, IPPROTO_TCP, TCP_KEEPIDLE, true, 1000000000ull);
  tcp.def("[method]tcp-socket.keep-alive-interval", "func() -> result<duration, error-code>") =
      int_option(tcp_fd, IPPROTO_TCP, TCP_KEEPINTVL, false, 1000000000ull);
  tcp.def("[method]tcp-socket.set-keep-alive-interval", "func(value: duration) -> result<_, error-code>") =
      int_option(tcp_fd, IPPROTO_TCP, TCP_KEEPINTVL, true, 1000000000ull);
  tcp.def("[method]tcp-socket.keep-alive-count", "func() -> result<u32, error-code>") =
      int_option(tcp_fd, IPPROTO_TCP, TCP_KEEPCNT, false, 1);
  tcp.def("[method]tcp-socket.set-keep-alive-count", "func(value: u32) -> result<_, error-code>") =
      int_option(tcp_fd, IPPROTO_TCP, TCP_KEEPCNT, true, 1);
  tcp.def("[method]tcp-socket.hop-limit", "func() -> result<u8, error-code>") =
      int_option(tcp_fd, IPPROTO_IP, IP_TTL, false, 1);
  tcp.def("[method]tcp-socket.set-hop-limit", "func(value: u8) -> result<_, error-code>") =
      int_option(tcp_fd, IPPROTO_IP, IP_TTL, true, 1);
  tcp.def("[method]tcp-socket.receive-buffer-size", "func() -> result<u64, error-code>") =
      int_option(tcp_fd, SOL_SOCKET, SO_RCVBUF, false, 1);
  tcp.def("[method]tcp-socket.set-receive-buffer-size", "func(value: u64) -> result<_, error-code>") =
      int_option(tcp_fd, SOL_SOCKET, SO_RCVBUF, true, 1);
  tcp.def("[method]tcp-socket.send-buffer-size", "func() -> result<u64, error-code>") =
      int_option(tcp_fd, SOL_SOCKET, SO_SNDBUF, false, 1);
  tcp.def("[method]tcp-socket.set-send-buffer-size", "func(value: u64) -> result<_, error-code>") =
      int_option(tcp_fd, SOL_SOCKET, SO_SNDBUF, true, 1);
  tcp.def("[method]tcp-socket.subscribe", "func() -> pollable") =
      [&s, sock](std::span<const Val> a) -> std::optional<Val> {
    auto& t = sock(a[0]);
    short events = t.state == State::Listening ? POLLIN : t.state == State::ConnectStarted ? POLLOUT : 0;
    if (!events) return Val::resource(s.add(Pollable{}));
    return Val::resource(s.add(Pollable{std::nullopt, t.fd, events}));
  };
  tcp.def("[method]tcp-socket.shutdown", "func(shutdown-type: shutdown-type) -> result<_, error-code>") =
      [sock](std::span<const Val> a) -> std::optional<Val> {
    auto& t = sock(a[0]);
    if (t.state != State::Connected) return fail(InvalidState);
    int how = a[1].index == 0 ? SHUT_RD : a[1].index == 1 ? SHUT_WR : SHUT_RDWR;
    return ::shutdown(t.fd->get(), how) == 0 ? Val::ok() : fail_errno();
  };


  Interface udp(into, "wasi:sockets/udp", R"(
    use wasi:io/poll.{pollable};
    use wasi:sockets/network.{network, error-code, ip-socket-address, ip-address-family};
    record incoming-datagram { data: list<u8>, remote-address: ip-socket-address }
    record outgoing-datagram { data: list<u8>, remote-address: option<ip-socket-address> }
    resource udp-socket;
    resource incoming-datagram-stream;
    resource outgoing-datagram-stream;
  )");
  Interface(into, "wasi:sockets/udp-create-socket", R"(
    use wasi:sockets/network.{network, error-code, ip-address-family};
    use wasi:sockets/udp.{udp-socket};
  )").def("create-udp-socket", "func(address-family: ip-address-family) -> result<udp-socket, error-code>") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    if (!s.options.allow_sockets || !s.options.allow_udp) return fail(AccessDenied);
    int family = a[0].index == 0 ? AF_INET : AF_INET6;
    int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    wasi_sys::FdSlot slot = s.fd_slot();
    if (auto error = new_socket_error(fd, slot)) return error;
    if (family == AF_INET6) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    return Val::ok(Val::resource(s.add(UdpSocket{s.own_fd(fd, slot), family, UdpSocket::State::Unbound, false})));
  };
  auto usock = [&s](const Val& v) -> UdpSocket& { return s.get<UdpSocket>(v, "udp-socket"); };
  auto udp_fd = [usock](const Val& v) { return usock(v).fd->get(); };
  using UState = UdpSocket::State;
  udp.def("[method]udp-socket.start-bind",
          "func(network: borrow<network>, local-address: ip-socket-address) -> result<_, error-code>") =
      [&s, usock](std::span<const Val> a) -> std::optional<Val> {
    auto& u = usock(a[0]);
    s.get<Network>(a[1], "network");
    if (u.state != UState::Unbound) return fail(InvalidState);
    if (auto error = bind_to(u.fd->get(), u.family, a[2])) return error;
    u.state = UState::BindStarted;
    return Val::ok();
  };
  udp.def("[method]udp-socket.finish-bind", "func() -> result<_, error-code>") =
      finish<UdpSocket>(usock, UState::BindStarted, UState::Bound);
  udp.def("[method]udp-socket.stream",
          "func(remote-address: option<ip-socket-address>) "
          "-> result<tuple<incoming-datagram-stream, outgoing-datagram-stream>, error-code>") =
      [&s, usock](std::span<const Val> a) -> std::optional<Val> {
    auto& u = usock(a[0]);
    if (u.state != UState::Bound) return fail(InvalidState);
    bool connected = a[1].index == 1;
    if (connected) {
      sockaddr_storage ss;
      socklen_t len;
      if (!to_sockaddr(*a[1].payload(), u.family, ss, len)) return fail(InvalidArgument);
      if (!address_allowed(s, ss)) return fail(AccessDenied);
      if (::connect(u.fd->get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail_errno();
    } else if (u.connected) {
      // Dissolve the earlier association (only then: on Linux this also
      // forgets an automatically chosen local port).
      sockaddr unspec{};
      unspec.sa_family = AF_UNSPEC;
      ::connect(u.fd->get(), &unspec, sizeof unspec);
    }
    u.connected = connected;
    uint32_t in = s.add(DatagramStream{u.fd, u.family, connected, false});
    uint32_t out = s.add(DatagramStream{u.fd, u.family, connected, true});
    return Val::ok(Val::tuple({Val::resource(in), Val::resource(out)}));
  };
  udp.def("[method]udp-socket.local-address", "func() -> result<ip-socket-address, error-code>") =
      [usock](std::span<const Val> a) -> std::optional<Val> {
    auto& u = usock(a[0]);
    if (u.state == UState::Unbound) return fail(InvalidState);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(u.fd->get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail_errno();
    return Val::ok(socket_address(ss));
  };
  udp.def("[method]udp-socket.remote-address", "func() -> result<ip-socket-address, error-code>") =
      [usock](std::span<const Val> a) -> std::optional<Val> {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(usock(a[0]).fd->get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail_errno();
    return Val::ok(socket_address(ss));
  };
  udp.def("[method]udp-socket.address-family", "func() -> ip-address-family") =
      [usock](std::span<const Val> a) -> std::optional<Val> {
    return Val::enumeration(usock(a[0]).family == AF_INET ? 0 : 1);
  };
  udp.def("[method]udp-socket.unicast-hop-limit", "func() -> result<u8, error-code>") =
      int_option(udp_fd, IPPROTO_IP, IP_TTL, false, 1);
  udp.def("[method]udp-socket.set-unicast-hop-limit", "func(value: u8) -> result<_, error-code>") =
      int_option(udp_fd, IPPROTO_IP, IP_TTL, true, 1);
  udp.def("[method]udp-socket.receive-buffer-size", "func() -> result<u64, error-code>") =
      int_option(udp_fd, SOL_SOCKET, SO_RCVBUF, false, 1);
  udp.def("[method]udp-socket.set-receive-buffer-size", "func(value: u64) -> result<_, error-code>") =
      int_option(udp_fd, SOL_SOCKET, SO_RCVBUF, true, 1);
  udp.def("[method]udp-socket.send-buffer-size", "func() -> result<u64, error-code>") =
      int_option(udp_fd, SOL_SOCKET, SO_SNDBUF, false, 1);
  udp.def("[method]udp-socket.set-send-buffer-size", "func(value: u64) -> result<_, error-code>") =
      int_option(udp_fd, SOL_SOCKET, SO_SNDBUF, true, 1);
  udp.def("[method]udp-socket.subscribe", "func() -> pollable") =
      [&s, usock](std::span<const Val> a) -> std::optional<Val> {
    usock(a[0]);
    return Val::resource(s.add(Pollable{}));
  };
  auto dstream = [&s](const Val& v) -> DatagramStream& { return s.get<DatagramStream>(v, "datagram stream"); };
  udp.def("[method]incoming-datagram-stream.receive",
          "func(max-results: u64) -> result<list<incoming-datagram>, error-code>") =
      [dstream](std::span<const Val> a) -> std::optional<Val> {
    auto& d = dstream(a[0]);
    std::vector<Val> got;
    uint64_t max = std::min<uint64_t>(uint64_t(a[1].i), 1024);
    std::string buf(65536, '\0');
    while (got.size() < max) {
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(d.fd->get(), buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (got.empty()) return fail_errno();
        break;
      }
      got.push_back(Val::record({Val::bytes(buf.substr(0, size_t(n))), socket_address(from)}));
    }
    return Val::ok(Val::list(std::move(got)));
  };
  udp.def("[method]incoming-datagram-stream.subscribe", "func() -> pollable") =
      [&s, dstream](std::span<const Val> a) -> std::optional<Val> {
    return Val::resource(s.add(Pollable{std::nullopt, dstream(a[0]).fd, POLLIN}));
  };
  udp.def("[method]outgoing-datagram-stream.check-send", "func() -> result<u64, error-code>") =
      [dstream](std::span<const Val> a) -> std::optional<Val> {
    dstream(a[0]);
    return Val::ok(Val::u64(64));
  };
  udp.def("[method]outgoing-datagram-stream.send",
          "func(datagrams: list<outgoing-datagram>) -> result<u64, error-code>") =
      [&s, dstream](std::span<const Val> a) -> std::optional<Val> {
    auto& d = dstream(a[0]);
    uint64_t sent = 0;
    for (auto& dg : a[1].items) {
      if (dg.items.size() < 2) return fail(InvalidArgument);
      std::string data = dg.items[0].as_bytes();
      ssize_t n;
      if (dg.items[1].index == 1) {
        if (d.connected) return fail(InvalidArgument);  // a connected stream sends only to its peer
        sockaddr_storage ss;
        socklen_t len;
        if (!to_sockaddr(*dg.items[1].payload(), d.family, ss, len)) return fail(InvalidArgument);
        if (!address_allowed(s, ss)) {
          if (sent) break;
          return fail(AccessDenied);
        }
        n = ::sendto(d.fd->get(), data.data(), data.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), len);
      } else {
        if (!d.connected) return fail(InvalidArgument);
        n = ::send(d.fd->get(), data.data(), data.size(), MSG_DONTWAIT);
      }
      if (n < 0) {
        if (sent) break;
        return fail_errno();
      }
      ++sent;
    }
    return Val::ok(Val::u64(sent));
  };
  udp.def("[method]outgoing-datagram-stream.subscribe", "func() -> pollable") =
      [&s, dstream](std::span<const Val> a) -> std::optional<Val> {
    return Val::resource(s.add(Pollable{std::nullopt, dstream(a[0]).fd, POLLOUT}));
  };

  Interface lookup(into, "wasi:sockets/ip-name-lookup", R"(
    use wasi:io/poll.{pollable};
    use wasi:sockets/network.{network, error-code, ip-address};
    resource resolve-address-stream;
  )");
  lookup.def("resolve-addresses",
             "func(network: borrow<network>, name: string) -> result<resolve-address-stream, error-code>") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    s.get<Network>(a[0], "network");
    if (!s.options.allow_sockets || !name_allowed(s, a[1].s)) return fail(AccessDenied);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int r = ::getaddrinfo(a[1].s.c_str(), nullptr, &hints, &res);
    if (r == EAI_NONAME || r == EAI_NODATA) return fail(NameUnresolvable);
    if (r == EAI_AGAIN) return fail(TemporaryResolverFailure);
    if (r != 0) return fail(PermanentResolverFailure);
    ResolveAddressStream stream;
    for (auto* p = res; p; p = p->ai_next)
      if (p->ai_family == AF_INET || p->ai_family == AF_INET6) {
        stream.addresses.push_back(ip_address(p->ai_addr));
        s.resolved_addresses.insert(address_text(p->ai_addr));
      }
    ::freeaddrinfo(res);
    return Val::ok(Val::resource(s.add(std::move(stream))));
  };
  lookup.def("[method]resolve-address-stream.resolve-next-address",
          "func() -> result<option<ip-address>, error-code>") = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& st = s.get<ResolveAddressStream>(a[0], "resolve-address-stream");
    if (st.next >= st.addresses.size()) return Val::ok(Val::none());
    return Val::ok(Val::some(st.addresses[st.next++]));
  };
  lookup.def("[method]resolve-address-stream.subscribe", "func() -> pollable") =
      [&s](std::span<const Val>) -> std::optional<Val> {
    return Val::resource(s.add(Pollable{}));
  };
}

}  // namespace wasmlet::component::wasi
