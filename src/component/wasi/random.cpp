// wasi:random: random (getrandom), insecure, insecure-seed.
#include <sys/random.h>

#include <cstring>
#include <random>

#include <fmt/format.h>

#include "component/wasi/host_state.h"

namespace wasmlet::component::wasi {
namespace {

std::string secure_bytes(uint64_t n) {
  if (n > kMaxBytesPerCall)
    throw HostTrap(fmt::format("get-random-bytes: {} bytes asked for at once, more than the {} one call may return", n, kMaxBytesPerCall));
  std::string buf(size_t(n), '\0');
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t r = getrandom(buf.data() + done, buf.size() - done, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw HostTrap("getrandom failed");
    }
    done += size_t(r);
  }
  return buf;
}

uint64_t secure_u64() {
  auto b = secure_bytes(8);
  uint64_t v;
  std::memcpy(&v, b.data(), 8);
  return v;
}

}  // namespace

void add_random(HostState&, Interfaces& into) {
  Interface random(into, "wasi:random/random");
  random.def("get-random-bytes", "func(len: u64) -> list<u8>") = [](std::span<const Val> a) -> std::optional<Val> {
    return Val::bytes(secure_bytes(uint64_t(a[0].i)));
  };
  random.def("get-random-u64", "func() -> u64") =
      [](std::span<const Val>) -> std::optional<Val> { return Val::u64(secure_u64()); };

  // The insecure generators are seeded from the secure one, per host.
  auto rng = std::make_shared<std::mt19937_64>(secure_u64());
  Interface insecure(into, "wasi:random/insecure");
  insecure.def("get-insecure-random-bytes", "func(len: u64) -> list<u8>") =
      [rng](std::span<const Val> a) -> std::optional<Val> {
    uint64_t n = uint64_t(a[0].i);
    if (n > kMaxBytesPerCall)
      throw HostTrap(fmt::format("get-insecure-random-bytes: {} bytes asked for at once, more than the {} one call may return", n,
                                 kMaxBytesPerCall));
    std::string buf(size_t(n), '\0');
    for (auto& c : buf) c = char((*rng)());
    return Val::bytes(buf);
  };
  insecure.def("get-insecure-random-u64", "func() -> u64") =
      [rng](std::span<const Val>) -> std::optional<Val> { return Val::u64((*rng)()); };
  Interface(into, "wasi:random/insecure-seed").def("insecure-seed", "func() -> tuple<u64, u64>") =
      [](std::span<const Val>) -> std::optional<Val> {
    return Val::tuple({Val::u64(secure_u64()), Val::u64(secure_u64())});
  };
}

}  // namespace wasmlet::component::wasi
