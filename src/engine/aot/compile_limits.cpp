#include "engine/aot/compile_limits.h"

#include <cerrno>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace wasmlet::detail::aot {

namespace {

// `configured` if set, else the environment variable as a whole number, else `fallback`.
uint64_t pick(uint64_t configured, const char* variable, uint64_t fallback) {
  if (configured) return configured;
  if (const char* text = std::getenv(variable); text && *text) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (errno == 0 && *end == '\0' && value > 0) return value;
  }
  return fallback;
}

}  // namespace

CompileLimits resolve_compile_limits(const AotCompileLimits& configured) {
  CompileLimits limits;
  limits.max_c_bytes = pick(configured.max_c_bytes, "WASMLET_AOT_MAX_C_BYTES", uint64_t{64} << 20);
  limits.compiler.memory_bytes = pick(configured.compiler_memory_bytes, "WASMLET_AOT_COMPILER_MEMORY", uint64_t{2} << 30);
  limits.compiler.cpu_seconds = pick(configured.compiler_cpu_seconds, "WASMLET_AOT_COMPILER_CPU_SECONDS", 300);
  limits.compiler.wall_seconds = pick(configured.compiler_wall_seconds, "WASMLET_AOT_COMPILER_WALL_SECONDS", 600);
  return limits;
}

std::optional<std::string> clearly_too_much_c(const std::string& name, size_t wasm_bytes, const CompileLimits& limits) {
  if (wasm_bytes <= limits.max_c_bytes / 4) return std::nullopt;
  return fmt::format("{}: AOT: the module ({} KiB) would make more than the limit of {} KiB of C "
                     "(WASMLET_AOT_MAX_C_BYTES, docs/aot.md)",
                     name, wasm_bytes / 1024, limits.max_c_bytes / 1024);
}

}  // namespace wasmlet::detail::aot
