// wasi:clocks: monotonic-clock (with subscribe-instant/-duration pollables)
// and wall-clock.
#include <time.h>

#include "component/wasi/host_state.h"

namespace wasmlet::component::wasi {
namespace {

uint64_t monotonic_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

Pollable at_instant(uint64_t ns) {
  uint64_t now = monotonic_ns();
  auto delta = std::chrono::nanoseconds(ns > now ? ns - now : 0);
  return Pollable{std::chrono::steady_clock::now() + delta, nullptr, 0};
}

}  // namespace

void add_clocks(HostState& s, Interfaces& into) {
  Interface mono(into, "wasi:clocks/monotonic-clock", R"(
    use wasi:io/poll.{pollable};
    type instant = u64;
    type duration = u64;
  )");
  mono.def("now", "func() -> instant") =
      [](std::span<const Val>) -> std::optional<Val> { return Val::u64(monotonic_ns()); };
  mono.def("resolution", "func() -> duration") = [](std::span<const Val>) -> std::optional<Val> {
    timespec ts{};
    clock_getres(CLOCK_MONOTONIC, &ts);
    return Val::u64(uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec));
  };
  mono.def("subscribe-instant", "func(when: instant) -> pollable") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    return Val::resource(s.add(at_instant(uint64_t(a[0].i))));
  };
  mono.def("subscribe-duration", "func(when: duration) -> pollable") =
      [&s](std::span<const Val> a) -> std::optional<Val> {
    return Val::resource(s.add(Pollable{std::chrono::steady_clock::now() + std::chrono::nanoseconds(uint64_t(a[0].i)), nullptr, 0}));
  };

  Interface wall(into, "wasi:clocks/wall-clock", "record datetime { seconds: u64, nanoseconds: u32 }");
  wall.def("now", "func() -> datetime") = [](std::span<const Val>) -> std::optional<Val> {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return Val::record({Val::u64(uint64_t(ts.tv_sec)), Val::integer(ts.tv_nsec)});
  };
  wall.def("resolution", "func() -> datetime") = [](std::span<const Val>) -> std::optional<Val> {
    timespec ts{};
    clock_getres(CLOCK_REALTIME, &ts);
    return Val::record({Val::u64(uint64_t(ts.tv_sec)), Val::integer(ts.tv_nsec)});
  };
}

}  // namespace wasmlet::component::wasi
