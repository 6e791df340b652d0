// Mounts: named volumes persist across remove/create, read-only mounts refuse
// writes, tmpfs goes away with its instance, anonymous and S3 are refused.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "runtime/volume_sizes.h"
#include "runtime_support.h"
#include "wasmlet/runtime/wasm_runtime.h"

namespace wasmlet::runtime {
namespace {

using testing::fixture;
using testing::service;
using testing::TempDir;

class Storage : public ::testing::Test {
 protected:
  TempDir dir;
  WasmRuntime rt{WasmRuntimeConfig{dir.path() / "data"}};

  ServiceSpec writer(std::vector<std::string> args, StorageSpec mount) {
    auto s = service(fixture("rt_write_volume"), std::move(args));
    s.storage.push_back(std::move(mount));
    return s;
  }
  int run(const InstanceId& id, const ServiceSpec& spec) {
    rt.create(id, spec);
    rt.start(id);
    return rt.wait(id);
  }
  std::string out(const InstanceId& id) {
    std::string s;
    for (const auto& e : rt.logs(id)) s += e.message + "\n";
    return s;
  }
};

StorageSpec named(const std::string& name, bool ro = false) {
  StorageSpec m;
  m.type = StorageSpec::Type::Named;
  m.name = name;
  m.target = "/data";
  m.readonly = ro;
  return m;
}

StorageSpec tmpfs() {
  StorageSpec m;
  m.type = StorageSpec::Type::Tmpfs;
  m.target = "/scratch";
  return m;
}

TEST_F(Storage, NamedVolumePersistsAcrossRemoveAndCreate) {
  InstanceId id{"vol", 0};
  ASSERT_EQ(run(id, writer({"write", "/data/note.txt", "kept"}, named("notes"))), 0) << out(id);
  rt.remove(id);
  EXPECT_EQ(testing::read_text(dir.path() / "data/volumes/notes/note.txt"), "kept\n");
  ASSERT_EQ(run(id, writer({"read", "/data/note.txt"}, named("notes"))), 0) << out(id);
  EXPECT_EQ(out(id), "kept\n");
}

TEST_F(Storage, ReadOnlyMountRefusesWrites) {
  TempDir host;
  testing::write_text(host.path() / "existing.txt", "original\n");
  StorageSpec bind;
  bind.type = StorageSpec::Type::Bind;
  bind.source = host.path().string();
  bind.target = "/ro";
  bind.readonly = true;
  InstanceId id{"ro", 0};
  EXPECT_EQ(run(id, writer({"write", "/ro/existing.txt", "changed"}, bind)), 2) << out(id);
  EXPECT_EQ(testing::read_text(host.path() / "existing.txt"), "original\n");
  EXPECT_FALSE(std::filesystem::exists(host.path() / "new.txt"));
  InstanceId reader{"ro", 1};
  EXPECT_EQ(run(reader, writer({"read", "/ro/existing.txt"}, bind)), 0) << out(reader);
  EXPECT_EQ(out(reader), "original\n");
  InstanceId named_ro{"ro", 2};
  EXPECT_EQ(run(named_ro, writer({"write", "/data/x", "y"}, named("ro-volume", true))), 2) << out(named_ro);
}

TEST_F(Storage, TmpfsIsPrivateAndRemovedWithTheInstance) {
  StorageSpec tmp = tmpfs();
  InstanceId id{"tmp", 0};
  ASSERT_EQ(run(id, writer({"write", "/scratch/f", "temp"}, tmp)), 0) << out(id);
  auto root = dir.path() / "data/tmpfs/tmp-rep-0";
  EXPECT_TRUE(std::filesystem::exists(root / "0/f"));
  InstanceId other{"tmp", 1};
  EXPECT_EQ(run(other, writer({"read", "/scratch/f"}, tmp)), 3) << out(other);  // not shared
  rt.remove(id);
  EXPECT_FALSE(std::filesystem::exists(root));
}

// While it is alive, the soft RLIMIT_NOFILE of this process is `limit`:
// what a walk holding one fd a level (remove_all) cannot pass.
class FdLimit {
 public:
  explicit FdLimit(rlim_t limit) {
    ::getrlimit(RLIMIT_NOFILE, &old_);
    rlimit lowered = old_;
    lowered.rlim_cur = std::min(limit, old_.rlim_cur);
    ::setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~FdLimit() { ::setrlimit(RLIMIT_NOFILE, &old_); }

 private:
  rlimit old_{};
};

// A guest can nest directories deeper than the host's fd limit (here
// lowered to 1024; the remove_tree tests go 25,000 deep); rm and removing
// the volume still delete all of it.
TEST_F(Storage, ADeepTreeGoesWithItsTmpfsAndItsVolume) {
  InstanceId id{"deep", 0}, in_volume{"deep-volume", 0};
  ASSERT_EQ(run(id, writer({"nest", "/scratch", "3000"}, tmpfs())), 0) << out(id);
  auto root = dir.path() / "data/tmpfs/deep-rep-0";
  ASSERT_TRUE(std::filesystem::exists(root / "0/d/d/d"));
  ASSERT_EQ(run(in_volume, writer({"nest", "/data", "3000"}, named("deep"))), 0) << out(in_volume);
  {
    FdLimit few(1024);
    rt.remove(id);
    rt.remove(in_volume);
    rt.remove_volume("deep");
  }
  EXPECT_FALSE(std::filesystem::exists(root));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data/volumes/deep"));
}

// A mount's `size` is enforced: the directory is on the host's disk, so a
// write past it fails with ENOSPC rather than filling the disk.
TEST_F(Storage, TmpfsSizeIsEnforced) {
  StorageSpec tmp = tmpfs();
  tmp.size = "64Ki";
  InstanceId id{"small", 0};
  EXPECT_EQ(run(id, writer({"fill", "/scratch/big", "1000000"}, tmp)), 4) << out(id);
  EXPECT_NE(out(id).find("wrote 65536 bytes to /scratch/big, then: No space left on device"), std::string::npos) << out(id);
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "data/tmpfs/small-rep-0/0/big"), 65536u);
  // Without a size, nothing but the disk limits it.
  tmp.size.reset();
  InstanceId unlimited{"big", 0};
  EXPECT_EQ(run(unlimited, writer({"fill", "/scratch/big", "1000000"}, tmp)), 0) << out(unlimited);
}

// Every entry counts against a `size` too (one per 4 KiB of it, at least
// 1,024): empty directories hold no bytes, yet a guest could fill the
// host's inodes with them.
TEST_F(Storage, TmpfsSizeBoundsItsEntries) {
  StorageSpec tmp = tmpfs();
  tmp.size = "64Ki";
  InstanceId id{"many", 0};
  EXPECT_EQ(run(id, writer({"nest", "/scratch", "2000"}, tmp)), 5) << out(id);
  EXPECT_NE(out(id).find("nest /scratch 2000: No space left on device"), std::string::npos) << out(id);
}

// A named volume's size holds across the instances that mount it, and space
// freed (here on the host) can be used again.
TEST_F(Storage, NamedVolumeSizeIsSharedByItsInstances) {
  auto vol = named("sized");
  vol.size = "64Ki";
  InstanceId a{"a", 0}, b{"b", 0};
  ASSERT_EQ(run(a, writer({"fill", "/data/a", "40000"}, vol)), 0) << out(a);
  EXPECT_EQ(run(b, writer({"fill", "/data/b", "40000"}, vol)), 4) << out(b);
  EXPECT_NE(out(b).find("No space left on device"), std::string::npos) << out(b);
  std::filesystem::remove(dir.path() / "data/volumes/sized/a");
  rt.remove(b);
  ASSERT_EQ(run(b, writer({"fill", "/data/b", "40000"}, vol)), 0) << out(b);
}

// A named volume's size is the volume's: a mount of it that gives no size
// is bounded by the size the volume was last started with (it was
// unbounded: the limit belonged to the mount that gave it). The size is
// kept on disk, for the next daemon; removing the volume forgets it.
TEST_F(Storage, AMountWithoutSizeIsBoundedByItsVolumesSize) {
  auto sized = named("shared");
  sized.size = "64Ki";
  InstanceId a{"a", 0}, b{"b", 0}, c{"c", 0};
  ASSERT_EQ(run(a, writer({"write", "/data/note", "x"}, sized)), 0) << out(a);
  rt.remove(a);
  EXPECT_EQ(run(b, writer({"fill", "/data/big", "1000000"}, named("shared"))), 4) << out(b);
  EXPECT_NE(out(b).find("wrote 65534 bytes to /data/big, then: No space left on device"), std::string::npos) << out(b);
  rt.remove(b);
  // Kept beside the volumes, for the next daemon too.
  EXPECT_EQ(testing::read_text(dir.path() / "data/volume-sizes/shared"), "65536\n");
  rt.remove_volume("shared");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data/volume-sizes/shared"));
  ASSERT_EQ(run(c, writer({"fill", "/data/big", "1000000"}, named("shared"))), 0) << out(c);
}

// A volume mounted twice in one spec, with a `size` on one mount only, is
// bounded at both, on its first start too: every size given is recorded
// before an unsized mount looks for one (/a, listed first, was unbounded).
TEST_F(Storage, AVolumeMountedTwiceIsBoundedAtTheMountWithoutSize) {
  auto unsized = named("twice");
  unsized.target = "/a";
  auto sized = named("twice");
  sized.target = "/b";
  sized.size = "64Ki";
  auto spec = writer({"fill", "/a/big", "1000000"}, unsized);
  spec.storage.push_back(sized);
  InstanceId id{"twice", 0};
  EXPECT_EQ(run(id, spec), 4) << out(id);
  EXPECT_NE(out(id).find("wrote 65536 bytes to /a/big, then: No space left on device"), std::string::npos) << out(id);
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "data/volumes/twice/big"), 65536u);
  EXPECT_EQ(testing::read_text(dir.path() / "data/volume-sizes/twice"), "65536\n");
}

// Two sizes for one volume in one spec contradict each other: create says
// so, naming both mounts (one size, spelt either way, is fine).
TEST_F(Storage, TwoSizesForOneVolumeInASpecAreRefused) {
  auto first = named("torn");
  first.target = "/a";
  first.size = "64Ki";
  auto second = named("torn");
  second.target = "/b";
  second.size = "1Mi";
  auto spec = writer({"write", "/a/x", "y"}, first);
  spec.storage.push_back(second);
  try {
    rt.create({"torn", 0}, spec);
    FAIL() << "two sizes for one volume were accepted";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(e.kind(), RuntimeError::Kind::InvalidSpec);
    EXPECT_NE(std::string(e.what()).find("volume 'torn' is mounted at /a with size 64Ki and at /b with size 1Mi"),
              std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data/volume-sizes/torn"));
  spec.storage[0].size = "1024Ki";
  InstanceId same{"same", 0};
  ASSERT_EQ(run(same, spec), 0) << out(same);
  EXPECT_EQ(testing::read_text(dir.path() / "data/volume-sizes/torn"), "1048576\n");
}

// Any file name but . and .. is a volume name, `a.new` too: recording
// volume a's size must leave volume a.new's record alone (it was written
// through a.new and renamed away, leaving a.new unbounded), and leave no
// file of its own beside the records.
TEST_F(Storage, RecordingAVolumesSizeLeavesTheOtherVolumesRecordsAlone) {
  auto small = named("a.new");
  small.size = "64Ki";
  auto big = named("a");
  big.size = "1Gi";
  InstanceId first{"first", 0}, second{"second", 0}, third{"third", 0};
  ASSERT_EQ(run(first, writer({"write", "/data/x", "y"}, small)), 0) << out(first);
  ASSERT_EQ(run(second, writer({"write", "/data/x", "y"}, big)), 0) << out(second);
  EXPECT_EQ(testing::read_text(dir.path() / "data/volume-sizes/a.new"), "65536\n");
  EXPECT_EQ(testing::read_text(dir.path() / "data/volume-sizes/a"), "1073741824\n");
  EXPECT_EQ(testing::count_entries((dir.path() / "data/volume-sizes").c_str()), 2u);
  EXPECT_EQ(run(third, writer({"fill", "/data/big", "1000000"}, named("a.new"))), 4) << out(third);
  EXPECT_NE(out(third).find("wrote 65534 bytes to /data/big, then: No space left on device"), std::string::npos) << out(third);
}

// Two starts may record one volume's size at once (two instances starting
// with it): each writes its own file aside, so every record lands (they
// shared NAME.new: one truncated the other's, one rename failed with
// ENOENT) and only the volume's record is left.
TEST(VolumeSizes, RecordsMadeAtOnceAllLand) {
  TempDir dir;
  const auto records = dir.path() / "volume-sizes";
  for (int round = 0; round < 200; ++round) {
    forget_volume_size(dir.path(), "v");
    std::atomic<int> failed{0};
    std::vector<std::thread> starts;
    for (uint64_t n = 1; n <= 4; ++n)
      starts.emplace_back([&, n] {
        try {
          record_volume_size(dir.path(), "v", n * 4096);
        } catch (const RuntimeError&) {
          ++failed;
        }
      });
    for (auto& t : starts) t.join();
    ASSERT_EQ(failed.load(), 0) << "round " << round;
    const auto size = recorded_volume_size(dir.path(), "v");
    ASSERT_TRUE(size && *size % 4096 == 0 && *size >= 4096 && *size <= 4 * 4096) << "round " << round;
    ASSERT_EQ(testing::count_entries(records.c_str()), 1u) << "round " << round;
  }
  // Nor is a file written aside left behind.
  const auto aside = dir.path() / "volume-sizes.writing";
  EXPECT_TRUE(!std::filesystem::exists(aside) || std::filesystem::is_empty(aside));
}

TEST_F(Storage, AnonymousAndS3AreRefusedClearly) {
  StorageSpec anon;
  anon.type = StorageSpec::Type::Anonymous;
  anon.target = "/a";
  anon.line.value = 12;
  try {
    rt.create({"anon", 0}, writer({"read", "/a/x"}, anon));
    FAIL();
  } catch (const RuntimeError& e) {
    std::string m = e.what();
    EXPECT_EQ(e.kind(), RuntimeError::Kind::InvalidSpec);
    EXPECT_NE(m.find("anon-rep-0"), std::string::npos) << m;
    EXPECT_NE(m.find("anonymous"), std::string::npos) << m;
    EXPECT_NE(m.find("line 12"), std::string::npos) << m;
  }
  StorageSpec s3;
  s3.type = StorageSpec::Type::S3;
  s3.bucket = "logs";
  s3.target = "/s3";
  try {
    rt.create({"s3", 0}, writer({"read", "/s3/x"}, s3));
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("S3"), std::string::npos) << e.what();
  }
}

TEST_F(Storage, MountsNeedTheFilesystemCapability) {
  auto spec = writer({"read", "/data/x"}, named("v"));
  spec.wasm = WasmConfig{};
  spec.wasm->capabilities = WasmCapabilities{};  // filesystem: false
  try {
    rt.create({"nofs", 0}, spec);
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("filesystem"), std::string::npos) << e.what();
  }
  spec.wasm->capabilities = std::nullopt;
  spec.service_type = ServiceType::WasmHttp;  // its defaults have no filesystem
  EXPECT_THROW(rt.create({"nofs", 1}, spec), RuntimeError);
}

TEST_F(Storage, BindSourceMustExist) {
  StorageSpec bind;
  bind.type = StorageSpec::Type::Bind;
  bind.source = (dir.path() / "missing").string();
  bind.target = "/m";
  try {
    rt.create({"bind", 0}, writer({"read", "/m/x"}, bind));
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

// docs/runtime.md: a bind mount's directory must exist. One deleted after
// create fails the start, naming it, rather than coming back empty.
TEST_F(Storage, ABindSourceDeletedAfterCreateFailsTheStart) {
  TempDir host;
  auto source = host.path() / "config";
  std::filesystem::create_directories(source);
  StorageSpec bind;
  bind.type = StorageSpec::Type::Bind;
  bind.source = source.string();
  bind.target = "/m";
  InstanceId id{"gone", 0};
  rt.create(id, writer({"write", "/m/x", "hi"}, bind));
  std::filesystem::remove(source);
  rt.start(id);
  EXPECT_NE(rt.wait(id), 0);
  auto state = rt.state(id);
  EXPECT_EQ(state.kind, InstanceState::Kind::Failed) << state.to_string();
  EXPECT_NE(state.reason.find("gone-rep-0"), std::string::npos) << state.reason;
  EXPECT_EQ(state.reason.find("gone-rep-0"), state.reason.rfind("gone-rep-0")) << "named twice: " << state.reason;
  EXPECT_NE(state.reason.find("'" + source.string() + "' mounted at /m no longer exists"), std::string::npos) << state.reason;
  EXPECT_FALSE(std::filesystem::exists(source));  // not made again, empty and 0700
  // Once the directory is back, the same instance starts.
  std::filesystem::create_directories(source);
  rt.start(id);
  EXPECT_EQ(rt.wait(id), 0) << out(id);
  EXPECT_EQ(testing::read_text(source / "x"), "hi\n");
}

}  // namespace
}  // namespace wasmlet::runtime
