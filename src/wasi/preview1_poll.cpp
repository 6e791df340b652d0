// poll_oneoff: clocks (relative and absolute) and fd readiness, any mix.
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "blocking.h"
#include "errno_map.h"
#include "host_call.h"

namespace wasmlet::wasi {

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Subscription {
  uint64_t userdata = 0;
  uint8_t type = 0;
  SteadyClock::time_point deadline{};   // clock
  std::shared_ptr<FdEntry> entry;        // fd_read / fd_write
  int poll_index = -1;                   // into the pollfd list, if waited on
  Errno error = err::success;            // reported at once
  bool ready_now = false;                // never blocks (files, stdout/stderr)
};

struct Event {
  uint64_t userdata;
  Errno error;
  uint8_t type;
  uint64_t nbytes = 0;
  uint16_t flags = 0;
};

// A clock subscription's deadline on the steady clock.
Errno clock_deadline(uint32_t id, uint64_t timeout, uint16_t flags, SteadyClock::time_point& out) {
  auto now = SteadyClock::now();
  constexpr uint64_t kMaxWait = uint64_t{1} << 62;  // ~146 years: "forever" without overflow
  if (!(flags & subclockflag_abstime)) {
    out = now + std::chrono::nanoseconds(std::min(timeout, kMaxWait));
    return err::success;
  }
  clockid_t host;
  if (id == clockid::realtime) host = CLOCK_REALTIME;
  else if (id == clockid::monotonic) host = CLOCK_MONOTONIC;
  else return err::inval;
  timespec ts;
  ::clock_gettime(host, &ts);
  uint64_t current = uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
  out = now + std::chrono::nanoseconds(timeout > current ? std::min(timeout - current, kMaxWait) : 0);
  return err::success;
}

// Bytes available, as far as the host can tell cheaply.
uint64_t available_bytes(const FdEntry& e) {
  if (e.kind == FdKind::File && e.filetype == filetype::regular_file) {
    struct stat st;
    off_t pos = ::lseek(e.host.get(), 0, SEEK_CUR);
    if (::fstat(e.host.get(), &st) == 0 && pos >= 0 && st.st_size > pos) return uint64_t(st.st_size - pos);
    return 0;
  }
  int n = 0;
  if (e.kind != FdKind::Listener && ::ioctl(e.host.get(), FIONREAD, &n) == 0 && n > 0) return uint64_t(n);
  return 0;
}

Errno poll_oneoff(Call& c) {
  uint32_t in = c.u32(0), out = c.u32(1), nsubs = c.u32(2);
  if (nsubs == 0) return err::inval;
  c.mem.bytes(in, uint64_t{nsubs} * layout::subscription_size);
  c.mem.bytes(out, uint64_t{nsubs} * layout::event_size);

  std::vector<Subscription> subs(nsubs);
  std::vector<pollfd> pfds;
  std::optional<SteadyClock::time_point> earliest;
  bool any_now = false;
  for (uint32_t i = 0; i < nsubs; ++i) {
    uint64_t at = in + uint64_t{i} * layout::subscription_size;
    Subscription& s = subs[i];
    s.userdata = c.mem.load<uint64_t>(at);
    s.type = c.mem.load<uint8_t>(at + 8);
    if (s.type == eventtype::clock) {
      uint32_t id = c.mem.load<uint32_t>(at + 16);
      if (id > clockid::thread_cputime) return err::inval;
      if (Errno r = clock_deadline(id, c.mem.load<uint64_t>(at + 24), c.mem.load<uint16_t>(at + 40), s.deadline))
        return r;
      if (!earliest || s.deadline < *earliest) earliest = s.deadline;
    } else if (s.type == eventtype::fd_read || s.type == eventtype::fd_write) {
      s.error = c.entry(c.mem.load<uint32_t>(at + 16), right::poll_fd_readwrite, s.entry);
      if (s.error == err::success) {
        const FdEntry& e = *s.entry;
        s.ready_now = e.kind == FdKind::Output || e.kind == FdKind::Directory ||
                      (e.kind == FdKind::File && e.filetype == filetype::regular_file);
        if (!s.ready_now) {
          s.poll_index = static_cast<int>(pfds.size());
          pfds.push_back({e.host.get(), static_cast<short>(s.type == eventtype::fd_read ? POLLIN : POLLOUT), 0});
        }
      }
      any_now |= s.error != err::success || s.ready_now;
    } else {
      return err::inval;
    }
  }

  std::vector<Event> events;
  for (;;) {
    // Something is ready already: only look whether the others are too.
    auto until = any_now ? std::optional(SteadyClock::now()) : earliest;
    wait_poll(c.caller, pfds, until);
    auto now = SteadyClock::now();
    for (const auto& s : subs) {
      if (s.type == eventtype::clock) {
        if (now >= s.deadline) events.push_back({s.userdata, err::success, s.type});
        continue;
      }
      if (s.error != err::success) {
        events.push_back({s.userdata, s.error, s.type});
        continue;
      }
      short rev = s.poll_index >= 0 ? pfds[s.poll_index].revents : 0;
      if (!s.ready_now && !rev) continue;
      Event ev{s.userdata, err::success, s.type};
      if (rev & POLLNVAL) ev.error = err::badf;
      else if ((rev & POLLERR) && !(rev & (POLLIN | POLLOUT))) ev.error = err::io;
      if (rev & POLLHUP) ev.flags = eventrwflag_hangup;
      if (s.type == eventtype::fd_read && ev.error == err::success) ev.nbytes = available_bytes(*s.entry);
      events.push_back(ev);
    }
    if (!events.empty()) break;
  }

  for (size_t i = 0; i < events.size(); ++i) {
    uint64_t at = out + i * layout::event_size;
    auto bytes = c.mem.bytes(at, layout::event_size);
    std::memset(bytes.data(), 0, bytes.size());
    c.mem.store<uint64_t>(at, events[i].userdata);
    c.mem.store<uint16_t>(at + 8, events[i].error);
    c.mem.store<uint8_t>(at + 10, events[i].type);
    c.mem.store<uint64_t>(at + 16, events[i].nbytes);
    c.mem.store<uint16_t>(at + 24, events[i].flags);
  }
  c.mem.store<uint32_t>(c.u32(3), static_cast<uint32_t>(events.size()));
  return err::success;
}

}  // namespace

void register_poll(Linker& l) { define(l, "poll_oneoff", "iiii", poll_oneoff); }

}  // namespace wasmlet::wasi
