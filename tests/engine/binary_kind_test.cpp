// The seed's detection rules (zlayer 003 version_detection_tests).
#include <gtest/gtest.h>

#include <vector>

#include "wasmlet/binary_kind.h"

using wasmlet::BinaryKind;
using wasmlet::detect_binary_kind;

namespace {
std::vector<uint8_t> header(uint8_t version, std::vector<uint8_t> rest = {}) {
  std::vector<uint8_t> b = {0x00, 0x61, 0x73, 0x6d, version, 0x00, 0x00, 0x00};
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}
}  // namespace

TEST(BinaryKind, EveryCoreSectionIdIsACoreModule) {
  for (uint8_t id = 0x00; id <= 0x0c; ++id)
    EXPECT_EQ(detect_binary_kind(header(1, {id})).kind, BinaryKind::CoreModule) << "section id " << int(id);
}

// The spec's binary.wast: the header alone is a valid, empty module.
TEST(BinaryKind, TheHeaderAloneIsAnEmptyCoreModule) {
  EXPECT_EQ(detect_binary_kind(header(1)).kind, BinaryKind::CoreModule);
}

TEST(BinaryKind, VersionThirteenAndAboveIsAComponent) {
  auto b13 = header(0x0d, {0x00});
  b13[6] = 0x01;  // layer 1
  EXPECT_EQ(detect_binary_kind(b13).kind, BinaryKind::Component);
  EXPECT_EQ(detect_binary_kind(header(0x0e, {0x00})).kind, BinaryKind::Component);
}

TEST(BinaryKind, InvalidSectionIdIsUnknown) {
  auto r = detect_binary_kind(header(1, {0x0f}));
  EXPECT_EQ(r.kind, BinaryKind::Unknown);
  EXPECT_NE(r.reason.find("section id"), std::string::npos) << r.reason;
}

TEST(BinaryKind, VersionTwoIsUnknown) {
  auto r = detect_binary_kind(header(2, {0x01}));
  EXPECT_EQ(r.kind, BinaryKind::Unknown);
  EXPECT_NE(r.reason.find("version 2"), std::string::npos) << r.reason;
}

TEST(BinaryKind, EmptyTruncatedAndForeignFilesAreUnknown) {
  EXPECT_EQ(detect_binary_kind({}).reason, "the file is empty");
  std::vector<uint8_t> short_bytes = {0x00, 0x61, 0x73};
  EXPECT_NE(detect_binary_kind(short_bytes).reason.find("truncated"), std::string::npos);
  std::vector<uint8_t> elf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0};
  EXPECT_NE(detect_binary_kind(elf).reason.find("magic"), std::string::npos);
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(detect_binary_kind(text).kind, BinaryKind::Unknown);
}
