// (e) WASI path resolution, shared by preview1 and the component host
// (src/wasi_sys/path_resolver.cpp), against a
// real temp tree full of traps: "..", absolute paths, symlinks pointing up,
// to "/", out of the preopen, in loops. Whatever the guest path, anything
// that opens must lie inside the preopen: the kernel's name for the opened
// fd (/proc/self/fd/N) is the preopen or below it. Both resolvers (openat2
// and the portable walker) are exercised, and open_in_root (a container's
// rootfs, where absolute paths start at the root) keeps the same promise.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_support.h"
#include "wasi_sys/path_resolver.h"

namespace fs = std::filesystem;
using namespace wasmlet;
using wasmlet::fuzz::Input;

namespace {

struct Tree {
  fs::path top;       // temp dir holding the preopen and a sibling outside it
  std::string root;   // the preopen's real path
  int root_fd = -1;
};

// The tree is named after the fuzzer's pid. libFuzzer ends with _Exit, so the
// atexit cleanup below does not always run: each start removes the trees of
// runs whose process is gone.
const std::string kTreePrefix = "wasmlet-fuzz-paths-";

void remove_trees_of_gone_runs() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kTreePrefix, 0) != 0) continue;
    const std::string pid = name.substr(kTreePrefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
}

const Tree& tree() {
  static const Tree t = [] {
    Tree t;
    remove_trees_of_gone_runs();
    t.top = fs::temp_directory_path() / (kTreePrefix + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(t.top, ec);
    if (!fs::create_directory(t.top, ec)) wasmlet::fuzz::fail("cannot create the fuzzer's temp tree");
    const fs::path root = t.top / "preopen", outside = t.top / "outside";
    fs::create_directories(root / "d" / "e");
    fs::create_directories(outside);
    for (const auto& f : {root / "a", root / "d" / "f", outside / "secret"}) std::ofstream(f) << "x";
    fs::create_symlink("..", root / "up");
    fs::create_symlink("../..", root / "d" / "upup");
    fs::create_symlink("/", root / "slash");
    fs::create_symlink("/etc/passwd", root / "passwd");
    fs::create_symlink(outside, root / "out_abs");
    fs::create_symlink("../outside/secret", root / "out_rel");
    fs::create_symlink("d", root / "to_d");
    fs::create_symlink("e/../../a", root / "d" / "back_to_a");
    fs::create_symlink("loop", root / "loop");
    fs::create_symlink("ping", root / "pong");
    fs::create_symlink("pong", root / "ping");
    fs::create_symlink("missing", root / "dangling");
    t.root = fs::canonical(root).string();
    t.root_fd = ::open(t.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t.root_fd < 0) wasmlet::fuzz::fail("cannot open the preopen");
    std::atexit([] { std::error_code ec; fs::remove_all(tree().top, ec); });
    return t;
  }();
  return t;
}

void require_inside(int fd, const std::string& path, const char* what) {
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  std::error_code ec;
  const fs::path real = fs::read_symlink(link, ec);
  if (ec) wasmlet::fuzz::fail(std::string("cannot read ") + link);
  const std::string r = real.string(), root = tree().root;
  if (r != root && r.compare(0, root.size() + 1, root + "/") != 0)
    wasmlet::fuzz::fail(std::string(what) + " of '" + path + "' opened '" + r + "', outside the preopen " + root);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Tree& t = tree();
  Input in(data, size);
  const uint8_t mode = in.byte();
  const auto rest = in.rest();
  const std::string path(rest.begin(), rest.end());

  wasi_sys::force_fallback_resolver(mode & 1);
  static const int kFlags[] = {O_RDONLY, O_RDONLY | O_DIRECTORY, O_PATH, O_PATH | O_NOFOLLOW, O_RDONLY | O_NOFOLLOW};
  const int flags = kFlags[(mode >> 1) % 5];
  const bool follow_final = mode & 0x10;

  wasi_sys::UniqueFd fd;
  if (wasi_sys::open_beneath(t.root_fd, path, flags, 0, follow_final, fd) == 0) {
    if (!fd) wasmlet::fuzz::fail("open_beneath succeeded without an fd");
    require_inside(fd.get(), path, "open_beneath");
  }
  // As a container's rootfs (wasmlet-oci): "/" is the preopen, and
  // nothing above it is reached either.
  wasi_sys::UniqueFd in_root;
  if (wasi_sys::open_in_root(t.root_fd, path, flags & ~O_NOFOLLOW, in_root) == 0) {
    if (!in_root) wasmlet::fuzz::fail("open_in_root succeeded without an fd");
    require_inside(in_root.get(), path, "open_in_root");
  }
  wasi_sys::ParentDir parent;
  if (wasi_sys::open_parent(t.root_fd, path, parent) == 0) {
    if (!parent.dir) wasmlet::fuzz::fail("open_parent succeeded without an fd");
    require_inside(parent.dir.get(), path, "open_parent");
    if (parent.name.find('/') != std::string::npos && !(parent.trailing_slash && parent.name.find('/') == parent.name.size() - 1))
      wasmlet::fuzz::fail("open_parent of '" + path + "' left a path in the final name '" + parent.name + "'");
  }
  return 0;
}
