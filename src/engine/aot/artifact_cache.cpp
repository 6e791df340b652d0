#include "engine/aot/artifact_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include <wabt/config.h>

#include "aot_glue_hash.h"
#include "engine/aot/aot_abi.h"
#include "engine/aot/native_compiler.h"
#include "engine/aot/trusted_dir.h"
#include "util/file_lock.h"
#include "wasmlet/error.h"
#include "wasmlet/sha256.h"
#include "wasmlet/version.h"
#include "util/file_bytes.h"

namespace wasmlet::detail::aot {

namespace {

constexpr char kMagic[16] = "WASMLET-AOT-v1\n";
constexpr size_t kTrailerSize = 16 + 8 + 32;
constexpr const char* kEngineVersion = "wasmlet-" WASMLET_VERSION;

std::atomic<uint64_t> g_builds{0};

bool valid_entry(const std::filesystem::path& path) {
  std::vector<uint8_t> bytes;
  if (!util::read_file_bytes(path, bytes) || bytes.size() < kTrailerSize + 4) return false;
  const size_t payload = bytes.size() - kTrailerSize;
  const uint8_t* trailer = bytes.data() + payload;
  if (std::memcmp(trailer, kMagic, 16) != 0) return false;
  uint64_t size;
  std::memcpy(&size, trailer + 16, 8);
  if (size != payload) return false;
  Sha256 sha;
  sha.update(bytes.data(), payload);
  auto digest = sha.finish();
  return std::memcmp(digest.data(), trailer + 24, 32) == 0;
}

void append_trailer(const std::filesystem::path& path) {
  std::vector<uint8_t> bytes;
  if (!util::read_file_bytes(path, bytes)) throw CompileError(fmt::format("AOT: cannot read the built artifact {}", path.string()));
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  auto digest = sha.finish();
  uint64_t size = bytes.size();
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(kMagic, 16);
  out.write(reinterpret_cast<const char*>(&size), 8);
  out.write(reinterpret_cast<const char*>(digest.data()), 32);
  out.flush();
  if (!out) throw CompileError(fmt::format("AOT: cannot write the artifact {}", path.string()));
}

}  // namespace

std::string module_digest(std::span<const uint8_t> wasm) {
  Sha256 sha;
  sha.update(wasm.data(), wasm.size());
  return sha.hex();
}

std::string artifact_key(std::string_view module_digest, const ArtifactOptions& options) {
  Sha256 sha;
  sha.update(module_digest);
  // Everything that shapes the native code: wasmlet and its embedded glue,
  // wabt (its C writer), the compiler (which file, which version), the flags.
  sha.update(fmt::format("\n{}\nabi={}\nglue={}\nwabt={}\ncc={}\ncc-identity={}\nguard={}\nfuel={}\n", kEngineVersion,
                         WASMLET_AOT_ABI, WASMLET_AOT_GLUE_SHA256, WABT_VERSION_STRING, options.compiler,
                         compiler_identity(options.compiler), options.guard_pages, options.fuel_checks));
  for (const auto& flag : aot_cflags()) sha.update(flag + " ");
  if (options.fuel_checks)
    for (const auto& flag : aot_fuel_cflags()) sha.update(flag + " ");
  if (options.opt_level != 2) sha.update(fmt::format("-O{} ", options.opt_level));
  sha.update(fmt::format("units={} huge={}", options.split.unit_bytes, options.split.huge_function_bytes));
  return sha.hex();
}

std::filesystem::path ArtifactCache::entry_path(const std::string& key) const { return dir_ / "aot" / (key + ".so"); }
std::filesystem::path ArtifactCache::job_lock_path(const std::string& key) const { return dir_ / "aot" / (key + ".job"); }
std::filesystem::path ArtifactCache::failure_path(const std::string& key) const { return dir_ / "aot" / (key + ".failed"); }
std::filesystem::path ArtifactCache::jobs_dir() const { return dir_ / "aot" / "jobs"; }

std::optional<std::filesystem::path> ArtifactCache::lookup(const std::string& key) const {
  auto path = entry_path(key);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  // Not loaded from a directory another user could write (trusted_dir.h);
  // get_or_build says why.
  if (!untrusted_cache_reason(dir_, "aot").empty() || !untrusted_reason(path).empty()) return std::nullopt;
  if (valid_entry(path)) return path;
  std::filesystem::remove(path, ec);
  return std::nullopt;
}

std::filesystem::path ArtifactCache::get_or_build(const std::string& key,
                                                  const std::function<void(const std::filesystem::path&)>& build) const {
  if (auto hit = lookup(key)) return *hit;
  std::error_code ec;
  create_private_dirs(dir_ / "aot", ec);
  if (ec) throw Error(fmt::format("AOT cache: cannot create {}: {}", (dir_ / "aot").string(), ec.message()));
  if (std::string why = untrusted_cache_reason(dir_, "aot"); !why.empty())
    throw Error(fmt::format("AOT cache: {}: native code is loaded only from a directory no other user can write "
                            "(choose another with WASMLET_CACHE_DIR, or fix its owner and mode)",
                            why));
  const auto lock = util::FileLock::acquire(dir_ / "aot" / (key + ".lock"));
  if (auto hit = lookup(key)) return *hit;  // someone else built it while we waited

  std::string temp_template = (dir_ / "aot" / "build-XXXXXX").string();
  if (!mkdtemp(temp_template.data()))
    throw Error(fmt::format("AOT cache: cannot create a build directory in {}: {}", dir_.string(), std::strerror(errno)));
  const std::filesystem::path temp(temp_template);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{temp};
  const auto built = temp / "artifact.so";
  build(built);
  append_trailer(built);
  // Whatever the umask made of the compiler's output: only its owner writes it.
  ::chmod(built.c_str(), 0700);
  const auto final_path = entry_path(key);
  std::filesystem::rename(built, final_path, ec);
  if (ec) throw Error(fmt::format("AOT cache: cannot store {}: {}", final_path.string(), ec.message()));
  ++g_builds;
  return final_path;
}

uint64_t builds_done() { return g_builds.load(); }

std::filesystem::path default_cache_dir() {
  if (const char* dir = std::getenv("WASMLET_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "wasmlet";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache" / "wasmlet";
  // One per user: a shared one would hold other users' native code.
  return std::filesystem::temp_directory_path() / fmt::format("wasmlet-cache-{}", ::geteuid());
}

}  // namespace wasmlet::detail::aot
