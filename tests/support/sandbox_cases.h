// The sandbox cases of tests/fixtures/wasi/wasi_sandbox.c: the host-side
// layouts it runs against, what it prints as a preview1 module, and the
// checks that nothing outside (or beneath a read-only preopen) changed. The
// preview1 tests (tests/wasi/sandbox_test.cpp) and the component front end
// (tests/component/preview1_parity_test.cpp) run the same cases: the
// sandbox is one layer (src/wasi_sys) under both.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace wasmlet::testing::sandbox_cases {

namespace fs = std::filesystem;

inline std::string text_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Keeps which calls were refused and drops which errno said so: the
// component front end reports WASI 0.2 error codes, which jco's preview1
// adapter maps to errnos of its own choosing (access for notcapable).
inline std::string refusals_only(const std::string& output) {
  return std::regex_replace(output, std::regex("errno=[1-9][0-9]*"), "errno=refused");
}

// T/secret.txt, T/outdir/x.txt outside; T/sb is the preopen "/sb" with
// symlinks that point out of it.
struct EscapeLayout {
  TempDir root;
  fs::path sb = root / "sb";
  EscapeLayout() {
    root.write("secret.txt", "secret");
    fs::create_directory(root / "outdir");
    root.write("outdir/x.txt", "x");
    fs::create_directory(sb);
    fs::create_directory(sb / "sub");
    std::ofstream(sb / "ok.txt") << "ok";
    fs::create_directory_symlink(root / "outdir", sb / "out_dir");
    fs::create_symlink(root / "secret.txt", sb / "out_file");
    fs::create_symlink("../secret.txt", sb / "rel_escape");
    fs::create_symlink("..", sb / "sub" / "up");
    fs::create_symlink("../..", sb / "sub" / "up2");
    fs::create_symlink("loop2", sb / "loop1");
    fs::create_symlink("loop1", sb / "loop2");
    fs::create_symlink("self", sb / "self");
    fs::create_symlink("../created_outside", sb / "dangling");
  }
  void expect_outside_untouched() const {
    EXPECT_EQ(text_of(root / "secret.txt"), "secret");
    EXPECT_EQ(text_of(root / "outdir" / "x.txt"), "x");
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(root.path())) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"outdir", "sb", "secret.txt"}));
    EXPECT_EQ(std::distance(fs::directory_iterator(root / "outdir"), {}), 1);
    EXPECT_EQ(text_of(sb / "ok.txt"), "ok");
  }
};

// What wasi_sandbox escape prints as a preview1 module (errno 76 = notcapable).
inline constexpr const char* kEscapeExpected =
    "dotdot errno=76\n"
    "absolute errno=76\n"
    "sub dotdot dotdot errno=76\n"
    "sub dotdot inside errno=0\n"
    "symlink to parent inside errno=0\n"
    "symlink to grandparent errno=76\n"
    "symlink to outside dir errno=76\n"
    "symlink to outside file errno=76\n"
    "relative symlink escape errno=76\n"
    "symlink loop errno=32\n"
    "symlink to itself errno=32\n"
    "symlink nofollow errno=32\n"
    "stat link nofollow errno=0\n"
    "type=7\n"
    "stat link follow errno=76\n"
    "stat link/ nofollow errno=76\n"
    "stat dotdot errno=76\n"
    "stat dot errno=0\n"
    "mkdir dotdot errno=76\n"
    "mkdir through link errno=76\n"
    "create through link errno=76\n"
    "create through dangling escape errno=76\n"
    "unlink through link errno=76\n"
    "unlink dotdot errno=76\n"
    "rmdir dotdot errno=76\n"
    "rmdir link dot errno=76\n"
    "rename out errno=76\n"
    "rename through link errno=76\n"
    "rename in errno=76\n"
    "link in errno=76\n"
    "link through link errno=76\n"
    "symlink in outside dir errno=76\n"
    "set_times follow errno=76\n"
    "set_times link/ errno=76\n"
    "readlink outside target errno=0\n"
    "absolute target=1\n"
    "libc dotdot: refused errno=76\n"
    "libc symlink: refused errno=76\n";

// T/ro is the read-only preopen "/ro" with a file and a subdirectory.
struct ReadOnlyLayout {
  TempDir root;
  fs::path ro = root / "ro";
  struct stat before{};
  ReadOnlyLayout() {
    fs::create_directories(ro / "sub");
    std::ofstream(ro / "file.txt") << "read only content";
    std::ofstream(ro / "sub" / "inner.txt") << "inner";
    ::stat((ro / "file.txt").c_str(), &before);
  }
  void expect_unchanged() const {
    EXPECT_EQ(text_of(ro / "file.txt"), "read only content");
    EXPECT_EQ(text_of(ro / "sub" / "inner.txt"), "inner");
    struct stat after{};
    ::stat((ro / "file.txt").c_str(), &after);
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    EXPECT_EQ(after.st_size, before.st_size);
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(ro)) names.push_back(fs::relative(e.path(), ro));
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "sub", "sub/inner.txt"}));
  }
};

// What wasi_sandbox readonly prints as a preview1 module (errno 69 = rofs).
inline constexpr const char* kReadOnlyExpected =
            "open for read errno=0\n"
            "read errno=0\n"
            "content=read only content\n"
            "write errno=69\n"
            "pwrite errno=69\n"
            "allocate errno=69\n"
            "set_size errno=69\n"
            "set_times errno=69\n"
            "open for write errno=69\n"
            "open create errno=69\n"
            "open trunc errno=69\n"
            "open append errno=69\n"
            "mkdir errno=69\n"
            "unlink errno=69\n"
            "rmdir errno=69\n"
            "rename errno=69\n"
            "symlink errno=69\n"
            "link errno=69\n"
            "path set_times errno=69\n"
            "open subdir errno=0\n"
            "mkdir in subdir errno=69\n"
            "unlink in subdir errno=69\n"
            "libc fopen w: refused erofs=1\n"
            "libc fopen r: opened\n";

// What wasi_sandbox long prints as a preview1 module, run on an
// EscapeLayout: every path or symlink target of 64 MiB, and one of PATH_MAX
// bytes, is nametoolong (37); one byte shorter, "a/a/..." is noent (44).
inline constexpr const char* kLongPathExpected =
            "open errno=37\n"
            "open create errno=37\n"
            "stat errno=37\n"
            "set_times errno=37\n"
            "mkdir errno=37\n"
            "rmdir errno=37\n"
            "unlink errno=37\n"
            "readlink errno=37\n"
            "rename from errno=37\n"
            "rename to errno=37\n"
            "link from errno=37\n"
            "link to errno=37\n"
            "symlink target errno=37\n"
            "symlink at errno=37\n"
            "open 4096 bytes errno=37\n"
            "open 4095 bytes errno=44\n";

}  // namespace wasmlet::testing::sandbox_cases
