// wasi:io: error, poll, streams (blocking and non-blocking reads and writes,
// subscribe). Streams over files use pread/pwrite at their own offset;
// stdout/stderr go to the output sink (the instance log).
#include <fmt/format.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <cstring>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "component/wasi/host_state.h"
#include "wasi_sys/write_without_sigpipe.h"

namespace wasmlet::component::wasi {
namespace {

constexpr uint64_t kMaxChunk = kMaxBytesPerCall;  // check-write permits and read sizes

// input-stream.read: result<list<u8>, stream-error>
Val read_stream(HostState& s, InputStream& in, uint64_t len, bool blocking) {
  if (in.closed || in.kind == InputStream::Kind::Empty) return Val::err(stream_error_closed());
  len = std::min(len, kMaxChunk);
  std::string buf(len, '\0');
  if (in.kind == InputStream::Kind::Socket) {
    if (blocking && len > 0) pollable_block(s, Pollable{std::nullopt, in.fd, POLLIN});
    ssize_t n = ::recv(in.fd->get(), buf.data(), len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Val::ok(Val::bytes(""));
    if (n < 0) return Val::err(stream_error_failed(s, fmt::format("recv: {}", strerror(errno))));
    if (n == 0 && len > 0) {
      in.closed = true;
      return Val::err(stream_error_closed());
    }
    buf.resize(size_t(n));
    return Val::ok(Val::bytes(buf));
  }
  ssize_t n = ::pread(in.fd->get(), buf.data(), len, off_t(in.offset));
  if (n < 0) {
    // Not seekable (a pipe given as stdin): plain read.
    if (errno == ESPIPE) n = ::read(in.fd->get(), buf.data(), len);
    if (n < 0) return Val::err(stream_error_failed(s, fmt::format("read: {}", strerror(errno))));
  }
  if (n == 0 && len > 0) {
    in.closed = true;
    return Val::err(stream_error_closed());
  }
  in.offset += uint64_t(n);
  buf.resize(size_t(n));
  return Val::ok(Val::bytes(buf));
}

// Where a file stream's next write starts: the end of the file when appending.
uint64_t write_position(const OutputStream& out) {
  struct stat st {};
  return out.append ? (::fstat(out.fd->get(), &st) == 0 ? uint64_t(st.st_size) : 0) : out.offset;
}

// The error of a write to a file stream that found its size limit reached.
Val no_space(HostState& s, const OutputStream& out) {
  return Val::err(stream_error_failed(
      s, fmt::format("write to {}: {} (its mount's size limit, {} bytes, is reached)", out.guest_path, strerror(ENOSPC),
                     out.quota->limit()),
      ENOSPC));
}

Val write_stream(HostState& s, OutputStream& out, const std::string& data) {
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  if (out.kind == OutputStream::Kind::Socket) {
    size_t done = 0;
    while (done < bytes.size()) {
      pollable_block(s, Pollable{std::nullopt, out.fd, POLLOUT});
      ssize_t n = ::send(out.fd->get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n < 0) return Val::err(errno == EPIPE ? stream_error_closed() : stream_error_failed(s, fmt::format("send: {}", strerror(errno))));
      done += size_t(n);
    }
    return Val::ok();
  }
  if (out.kind != OutputStream::Kind::File) {
    if (int e = s.write_output(out.kind, bytes))  // a closed pipe on the host: closed for the guest too
      return Val::err(e == EPIPE ? stream_error_closed() : stream_error_failed(s, fmt::format("write: {}", strerror(e)), e));
    return Val::ok();
  }
  // Past a size limit what fits is written, then the write fails, as
  // blocking-write-and-flush's loop over check-write (which tells a guest
  // the room left, so that libc's write() can be short) would end.
  bool cut_short = false;
  if (out.quota) {
    const uint64_t room = out.quota->room_for_write(out.fd->get(), write_position(out), bytes.size());
    cut_short = room < bytes.size();
    bytes = bytes.first(size_t(room));
  }
  // An appending write to something other than a file (a FIFO whose reader
  // has gone) must fail, not raise SIGPIPE in the host. To a file it goes
  // to the end (wasi_sys::append_to_file: RWF_APPEND, or where the kernel
  // refuses that flag the end fstat gives; the descriptor is not O_APPEND, as
  // its positioned writes must stay where they are put), where the size limit
  // counted it; at the fd's own position it overwrote the start of the file,
  // or, after a set-size shrank it, grew the file past the limit uncounted.
  struct stat st {};
  const bool is_file = out.append && ::fstat(out.fd->get(), &st) == 0 && S_ISREG(st.st_mode);
  const bool block_sigpipe = out.append && !is_file;
  size_t done = 0;
  while (done < bytes.size()) {
    const iovec piece{const_cast<uint8_t*>(bytes.data() + done), bytes.size() - done};
    ssize_t n = !out.append ? ::pwrite(out.fd->get(), bytes.data() + done, bytes.size() - done, off_t(out.offset))
                : is_file       ? wasi_sys::append_to_file(out.fd->get(), &piece, 1)
                                : wasi_sys::writev_without_sigpipe(out.fd->get(), &piece, 1, block_sigpipe);
    if (n < 0) {
      const int e = errno;
      return Val::err(stream_error_failed(s, fmt::format("write: {}", strerror(e)), e));
    }
    done += size_t(n);
    out.offset += uint64_t(n);
  }
  return cut_short ? no_space(s, out) : Val::ok();
}

}  // namespace

bool pollable_ready(const Pollable& p) {
  if (p.fd) {
    pollfd pfd{p.fd->get(), p.events, 0};
    return ::poll(&pfd, 1, 0) > 0;
  }
  return !p.deadline || std::chrono::steady_clock::now() >= *p.deadline;
}

int wait_poll(HostState& s, std::vector<pollfd> fds, wasi_sys::Deadline until) {
  auto result = wasi_sys::wait_interruptible(s.store, fds, until);
  switch (result.end) {
    case wasi_sys::WaitResult::End::Ready: return result.ready;
    case wasi_sys::WaitResult::End::TimedOut: return 0;
    case wasi_sys::WaitResult::End::Interrupted:
    case wasi_sys::WaitResult::End::DeadlinePassed: throw Interrupted{};
  }
  throw Interrupted{};  // not reached: every End is handled above
}

void pollable_block(HostState& s, const Pollable& p) {
  if (p.fd) {
    wait_poll(s, {pollfd{p.fd->get(), p.events, 0}}, std::nullopt);
    return;
  }
  if (p.deadline && std::chrono::steady_clock::now() < *p.deadline) wait_poll(s, {}, *p.deadline);
}

void add_io(HostState& s, Interfaces& into) {
  Interface error(into, "wasi:io/error", "resource error;");
  error.def("[method]error.to-debug-string", "func() -> string") = [&s](std::span<const Val> a) -> std::optional<Val> {
    return Val::string(s.get<ErrorResource>(a[0], "error").message);
  };

  Interface poll(into, "wasi:io/poll", "resource pollable;");
  poll.def("[method]pollable.ready", "func() -> bool") = [&s](std::span<const Val> a) -> std::optional<Val> {
    return Val::boolean(pollable_ready(s.get<Pollable>(a[0], "pollable")));
  };
  poll.def("[method]pollable.block", "func()") = [&s](std::span<const Val> a) -> std::optional<Val> {
    pollable_block(s, s.get<Pollable>(a[0], "pollable"));
    return std::nullopt;
  };
  poll.def("poll", "func(in: list<borrow<pollable>>) -> list<u32>") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& list = a[0].items;
    if (list.empty()) throw HostTrap("poll: an empty list of pollables would block forever");
    std::vector<const Pollable*> ps;
    for (auto& p : list) ps.push_back(&s.get<Pollable>(p, "pollable"));
    while (true) {
      std::vector<Val> readies;
      std::optional<std::chrono::steady_clock::time_point> earliest;
      std::vector<pollfd> fds;
      for (uint32_t i = 0; i < ps.size(); ++i) {
        if (pollable_ready(*ps[i])) readies.push_back(Val::integer(i));
        else if (ps[i]->fd) fds.push_back(pollfd{ps[i]->fd->get(), ps[i]->events, 0});
        else if (!earliest || *ps[i]->deadline < *earliest) earliest = ps[i]->deadline;
      }
      if (!readies.empty()) return Val::list(std::move(readies));
      wait_poll(s, std::move(fds), earliest);
    }
  };

  Interface streams(into, "wasi:io/streams", R"(
    use wasi:io/error.{error};
    use wasi:io/poll.{pollable};
    variant stream-error { last-operation-failed(error), closed }
    resource input-stream;
    resource output-stream;
  )");
  for (bool blocking : {false, true}) {
    streams.def(blocking ? "[method]input-stream.blocking-read" : "[method]input-stream.read",
                "func(len: u64) -> result<list<u8>, stream-error>") =
        [&s, blocking](std::span<const Val> a) -> std::optional<Val> {
      return read_stream(s, s.get<InputStream>(a[0], "input-stream"), uint64_t(a[1].i), blocking);
    };
    streams.def(blocking ? "[method]input-stream.blocking-skip" : "[method]input-stream.skip",
                "func(len: u64) -> result<u64, stream-error>") =
        [&s, blocking](std::span<const Val> a) -> std::optional<Val> {
      auto r = read_stream(s, s.get<InputStream>(a[0], "input-stream"), uint64_t(a[1].i), blocking);
      if (r.index != 0) return r;
      return Val::ok(Val::u64(r.payload()->as_bytes().size()));
    };
  }
  // Files, stdio and empty stdin are always ready; sockets when poll() says so.
  streams.def("[method]input-stream.subscribe", "func() -> pollable") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& in = s.get<InputStream>(a[0], "input-stream");
    if (in.kind == InputStream::Kind::Socket) return Val::resource(s.add(Pollable{std::nullopt, in.fd, POLLIN}));
    return Val::resource(s.add(Pollable{}));
  };
  streams.def("[method]output-stream.subscribe", "func() -> pollable") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& out = s.get<OutputStream>(a[0], "output-stream");
    if (out.kind == OutputStream::Kind::Socket) return Val::resource(s.add(Pollable{std::nullopt, out.fd, POLLOUT}));
    return Val::resource(s.add(Pollable{}));
  };
  // A file stream beneath a size limit may take what fits (none: the write
  // would fail, so check-write does, rather than have the guest wait for
  // room that a file stream's always-ready pollable never brings).
  streams.def("[method]output-stream.check-write", "func() -> result<u64, stream-error>") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& out = s.get<OutputStream>(a[0], "output-stream");
    if (out.kind != OutputStream::Kind::File || !out.quota) return Val::ok(Val::u64(kMaxChunk));
    const uint64_t room = out.quota->would_fit(out.fd->get(), write_position(out), kMaxChunk);
    return room == 0 ? no_space(s, out) : Val::ok(Val::u64(room));
  };
  auto write = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& out = s.get<OutputStream>(a[0], "output-stream");
    return write_stream(s, out, a[1].as_bytes());
  };
  streams.def("[method]output-stream.write", "func(contents: list<u8>) -> result<_, stream-error>") = write;
  streams.def("[method]output-stream.blocking-write-and-flush", "func(contents: list<u8>) -> result<_, stream-error>") =
      write;
  auto flush = [&s](std::span<const Val> a) -> std::optional<Val> {
    s.get<OutputStream>(a[0], "output-stream");
    return Val::ok();
  };
  streams.def("[method]output-stream.flush", "func() -> result<_, stream-error>") = flush;
  streams.def("[method]output-stream.blocking-flush", "func() -> result<_, stream-error>") = flush;
  auto zeroes = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& out = s.get<OutputStream>(a[0], "output-stream");
    return write_stream(s, out, std::string(size_t(std::min<uint64_t>(uint64_t(a[1].i), kMaxChunk)), '\0'));
  };
  streams.def("[method]output-stream.write-zeroes", "func(len: u64) -> result<_, stream-error>") = zeroes;
  streams.def("[method]output-stream.blocking-write-zeroes-and-flush", "func(len: u64) -> result<_, stream-error>") =
      zeroes;
  auto splice = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& out = s.get<OutputStream>(a[0], "output-stream");
    auto& in = s.get<InputStream>(a[1], "input-stream");
    auto r = read_stream(s, in, uint64_t(a[2].i), true);
    if (r.index != 0) return r;
    std::string data = r.items[0].as_bytes();
    auto w = write_stream(s, out, data);
    if (w.index != 0) return w;
    return Val::ok(Val::u64(data.size()));
  };
  for (const char* name : {"[method]output-stream.splice", "[method]output-stream.blocking-splice"})
    streams.def(name, "func(src: borrow<input-stream>, len: u64) -> result<u64, stream-error>") = splice;
}

}  // namespace wasmlet::component::wasi
