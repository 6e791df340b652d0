#include "program_cache.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "crash_probe.h"
#include "wasmlet/error.h"
#include "util/file_bytes.h"

namespace wasmlet::runtime {

namespace {

// How long checking a module in a child process may take (a 30 MB module takes seconds).
constexpr std::chrono::seconds kCheckTimeLimit{120};

std::vector<uint8_t> read_file(const std::filesystem::path& file, const std::string& image) {
  std::vector<uint8_t> bytes;
  if (!util::read_file_bytes(file, bytes))
    throw Error(fmt::format("cannot read the module of image '{}' from the image store: {} (pull it again)", image,
                            std::strerror(errno)));
  return bytes;
}

}  // namespace

Program ModuleCache::get(const std::filesystem::path& file, const std::string& image) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  auto mtime = std::filesystem::last_write_time(file, ec);
  std::string stamp = fmt::format("{}:{}", size, mtime.time_since_epoch().count());
  const std::string key = file.string() + "\n" + image;
  std::promise<Program> compiling;
  std::shared_future<Program> known;
  {
    std::lock_guard lock(mu_);
    auto it = programs_.find(key);
    if (it != programs_.end() && it->second.stamp == stamp) known = it->second.program;
    else programs_.insert_or_assign(key, Compiled{stamp, compiling.get_future().share()});
  }
  if (known.valid()) return known.get();  // compiled, or waits for the compile under way (rethrows its error)
  try {
    Program program = load(file, image);
    compiling.set_value(program);
    return program;
  } catch (...) {
    compiling.set_exception(std::current_exception());
    std::lock_guard lock(mu_);
    auto it = programs_.find(key);
    if (it != programs_.end() && it->second.stamp == stamp) programs_.erase(it);  // the next start tries again
    throw;
  }
}

Program ModuleCache::load(const std::filesystem::path& file, const std::string& image) {
  std::vector<uint8_t> bytes = read_file(file, image);
  auto compile = [&](Engine& engine) { return Program::compile(engine, bytes, image); };
  // Decode, validate and rewrite the untrusted bytes in a child process
  // first (the interpreter tier: no compiler, threads or shared objects), so
  // that an engine bug they reach crashes the child, not the daemon.
  EngineConfig check_config;
  check_config.tier = Tier::Interpreter;
  check_config.on_note = [](const std::string&) {};
  if (auto crash = crash_in_child([&] {
        Engine check_engine(check_config);
        compile(check_engine);
      }, kCheckTimeLimit))
    throw Error(fmt::format("the module cannot be loaded: checking it in a separate process, wasmlet's compiler {} (a "
                            "wasmlet bug: please report it with the image; the daemon and other instances are not affected)",
                            *crash));
  return compile(engine_);
}

}  // namespace wasmlet::runtime
