// wasi:io: error, poll, streams (blocking and non-blocking reads and writes,
// subscribe). Streams over files use pread/pwrite at their own offset;
// stdout/stderr go to the output sink (the instance log).
#include <fmt/format.h>
#include <poll.h>
#include <cstring>
#include <unistd.h>

#include <thread>

#include "component/wasi/host_state.h"

namespace wasmlet::component::wasi {
namespace {

constexpr uint64_t kMaxChunk = 1 << 20;  // check-write permits and read sizes

// input-stream.read: result<list<u8>, stream-error>
Val read_stream(HostState& s, InputStream& in, uint64_t len) {
  if (in.closed || in.kind == InputStream::Kind::Empty) return Val::err(stream_error_closed());
  len = std::min(len, kMaxChunk);
  std::string buf(len, '\0');
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

Val write_stream(HostState& s, OutputStream& out, const std::string& data) {
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  if (out.kind != OutputStream::Kind::File) {
    s.write_output(out.kind, bytes);
    return Val::ok();
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = out.append ? ::write(out.fd->get(), bytes.data() + done, bytes.size() - done)
                           : ::pwrite(out.fd->get(), bytes.data() + done, bytes.size() - done, off_t(out.offset));
    if (n < 0) return Val::err(stream_error_failed(s, fmt::format("write: {}", strerror(errno))));
    done += size_t(n);
    out.offset += uint64_t(n);
  }
  return Val::ok();
}

void block_until(const Pollable& p) {
  if (p.deadline) std::this_thread::sleep_until(*p.deadline);
}

bool ready(const Pollable& p) { return !p.deadline || std::chrono::steady_clock::now() >= *p.deadline; }

}  // namespace

void add_io(HostState& s, std::map<std::string, Functions, std::less<>>& into) {
  into["wasi:io/error"]["[method]error.to-debug-string"] = [&s](std::span<const Val> a) -> std::optional<Val> {
    return Val::string(s.get<ErrorResource>(a[0], "error").message);
  };

  auto& poll = into["wasi:io/poll"];
  poll["[method]pollable.ready"] = [&s](std::span<const Val> a) -> std::optional<Val> {
    return Val::boolean(ready(s.get<Pollable>(a[0], "pollable")));
  };
  poll["[method]pollable.block"] = [&s](std::span<const Val> a) -> std::optional<Val> {
    block_until(s.get<Pollable>(a[0], "pollable"));
    return std::nullopt;
  };
  poll["poll"] = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& list = a[0].items;
    if (list.empty()) throw HostTrap("poll: an empty list of pollables would block forever");
    std::vector<const Pollable*> ps;
    for (auto& p : list) ps.push_back(&s.get<Pollable>(p, "pollable"));
    while (true) {
      std::vector<Val> readies;
      std::optional<std::chrono::steady_clock::time_point> earliest;
      for (uint32_t i = 0; i < ps.size(); ++i) {
        if (ready(*ps[i])) readies.push_back(Val::integer(i));
        else if (!earliest || *ps[i]->deadline < *earliest) earliest = ps[i]->deadline;
      }
      if (!readies.empty()) return Val::list(std::move(readies));
      std::this_thread::sleep_until(*earliest);
    }
  };

  auto& streams = into["wasi:io/streams"];
  auto read = [&s](std::span<const Val> a) -> std::optional<Val> {
    return read_stream(s, s.get<InputStream>(a[0], "input-stream"), uint64_t(a[1].i));
  };
  streams["[method]input-stream.read"] = read;
  streams["[method]input-stream.blocking-read"] = read;  // files and empty stdin never block
  auto skip = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto r = read_stream(s, s.get<InputStream>(a[0], "input-stream"), uint64_t(a[1].i));
    if (r.index != 0) return r;
    return Val::ok(Val::u64(r.items[0].items.size()));
  };
  streams["[method]input-stream.skip"] = skip;
  streams["[method]input-stream.blocking-skip"] = skip;
  auto subscribe = [&s](std::span<const Val>) -> std::optional<Val> { return Val::resource(s.add(Pollable{})); };
  streams["[method]input-stream.subscribe"] = subscribe;
  streams["[method]output-stream.subscribe"] = subscribe;
  streams["[method]output-stream.check-write"] = [&s](std::span<const Val> a) -> std::optional<Val> {
    s.get<OutputStream>(a[0], "output-stream");
    return Val::ok(Val::u64(kMaxChunk));
  };
  auto write = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& out = s.get<OutputStream>(a[0], "output-stream");
    return write_stream(s, out, a[1].as_bytes());
  };
  streams["[method]output-stream.write"] = write;
  streams["[method]output-stream.blocking-write-and-flush"] = write;
  auto flush = [&s](std::span<const Val> a) -> std::optional<Val> {
    s.get<OutputStream>(a[0], "output-stream");
    return Val::ok();
  };
  streams["[method]output-stream.flush"] = flush;
  streams["[method]output-stream.blocking-flush"] = flush;
  auto zeroes = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& out = s.get<OutputStream>(a[0], "output-stream");
    return write_stream(s, out, std::string(size_t(std::min<uint64_t>(uint64_t(a[1].i), kMaxChunk)), '\0'));
  };
  streams["[method]output-stream.write-zeroes"] = zeroes;
  streams["[method]output-stream.blocking-write-zeroes-and-flush"] = zeroes;
  auto splice = [&s](std::span<const Val> a) -> std::optional<Val> {
    auto& out = s.get<OutputStream>(a[0], "output-stream");
    auto& in = s.get<InputStream>(a[1], "input-stream");
    auto r = read_stream(s, in, uint64_t(a[2].i));
    if (r.index != 0) return r;
    std::string data = r.items[0].as_bytes();
    auto w = write_stream(s, out, data);
    if (w.index != 0) return w;
    return Val::ok(Val::u64(data.size()));
  };
  streams["[method]output-stream.splice"] = splice;
  streams["[method]output-stream.blocking-splice"] = splice;
}

}  // namespace wasmlet::component::wasi
