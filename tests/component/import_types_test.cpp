// A component's imports of WASI functions are checked against the types
// wasmlet's host implementations read and return (docs/component.md,
// "Import types").
#include <gtest/gtest.h>

#include <string>

#include "component/type_match.h"
#include "component/wit_text.h"
#include "component_fixtures.h"
#include "wasmlet/component/component.h"
#include "wasmlet/component/wasi_host.h"
#include "wasmlet/engine.h"
#include "wasmlet/error.h"
#include "wasmlet/store.h"

using namespace wasmlet;
using namespace wasmlet::component;

namespace {

// The LinkError instantiating the fixture gives, or "" if it ran.
std::string link_error_of(const std::vector<uint8_t>& bytes) {
  Engine engine;
  auto c = CompiledComponent::compile(engine, bytes, "test.component.wasm");
  Store store(engine);
  WasiHost host(WasiConfig{});
  try {
    run_component(store, c, host);
  } catch (const LinkError& e) {
    return e.what();
  }
  return "";
}

constexpr const char* kRead =
    "test.component.wasm: imports wasi:filesystem/types@0.2.0#[method]descriptor.read with type ";
constexpr const char* kProvided =
    "wasmlet provides func(self: borrow<descriptor>, length: u64, offset: u64) -> result<tuple<list<u8>, bool>, "
    "enum { access, would-block, already, bad-descriptor, ... }>";

}  // namespace

TEST(ComponentImports, AWrongParameterTypeFailsToInstantiate) {
  REQUIRE_COMPONENT(bytes, "import_wrong_param");
  std::string e = link_error_of(bytes);
  EXPECT_NE(e.find(std::string(kRead) + "func(self: borrow<descriptor>, length: u32, offset: u64) -> "),
            std::string::npos)
      << e;
  EXPECT_NE(e.find(kProvided), std::string::npos) << e;
  EXPECT_NE(e.find("(parameter 2 (length): expected u64, found u32)"), std::string::npos) << e;
}

TEST(ComponentImports, AWrongResultTypeFailsToInstantiate) {
  REQUIRE_COMPONENT(bytes, "import_wrong_result");
  std::string e = link_error_of(bytes);
  EXPECT_NE(
      e.find(std::string(kRead) + "func(self: borrow<descriptor>, length: u64, offset: u64) -> result<list<u8>, "),
      std::string::npos)
      << e;
  EXPECT_NE(e.find(kProvided), std::string::npos) << e;
  EXPECT_NE(
      e.find("(result: expected result<tuple<list<u8>, bool>, enum { access, would-block, already, bad-descriptor, "
             "... }>, found result<list<u8>, enum {"),
      std::string::npos)
      << e;
}

TEST(ComponentImports, AWrongNumberOfParametersFailsToInstantiate) {
  REQUIRE_COMPONENT(bytes, "import_wrong_arity");
  std::string e = link_error_of(bytes);
  EXPECT_NE(e.find(std::string(kRead) + "func(self: borrow<descriptor>, length: u64) -> "), std::string::npos) << e;
  EXPECT_NE(e.find(kProvided), std::string::npos) << e;
  EXPECT_NE(e.find("(expected 3 parameters, found 2)"), std::string::npos) << e;
}

TEST(ComponentImports, AResourceOtherThanTheHostsFailsToInstantiate) {
  REQUIRE_COMPONENT(bytes, "import_wrong_resource");
  std::string e = link_error_of(bytes);
  EXPECT_NE(e.find("imports wasi:io/streams@0.2.0#[method]output-stream.blocking-flush with type "
                   "func(self: borrow<input-stream>) -> "),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("(parameter 1 (self): expected borrow<output-stream>, found borrow<input-stream>)"),
            std::string::npos)
      << e;
}

// The signature a host function is registered with is WASI's, resources of
// other interfaces included (`use`d: the same resource type).
TEST(ComponentImports, TheHostDeclaresWasisSignatures) {
  WasiHost host(WasiConfig{});
  auto signature = [&](const char* iface, const char* fn) {
    const FunctionType* t = host.signature(iface, fn);
    return t ? t->to_string() : "none";
  };
  EXPECT_EQ(signature("wasi:io/streams@0.2.3", "[method]output-stream.blocking-write-and-flush"),
            "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, variant { "
            "last-operation-failed(own<error>), closed }>");
  EXPECT_EQ(signature("wasi:cli/exit@0.2.0", "exit"), "func(status: result)");
  EXPECT_EQ(signature("wasi:clocks/wall-clock@0.2.0", "now"), "func() -> record { seconds: u64, nanoseconds: u32 }");
  EXPECT_EQ(host.signature("wasi:sockets/tcp@0.2.0", "[method]tcp-socket.finish-connect")->to_string(2),
            "func(self: borrow<tcp-socket>) -> result<tuple<own<input-stream>, own<output-stream>>, enum { unknown, "
            "access-denied, ... }>");
  EXPECT_EQ(signature("wasi:io/streams@0.2.0", "[method]output-stream.no-such-method"), "none");
  EXPECT_EQ(host.resource("wasi:cli/stdout@0.2.0", "output-stream"),
            host.resource("wasi:io/streams@0.2.1", "output-stream"));
  EXPECT_NE(host.resource("wasi:io/streams@0.2.0", "output-stream"), nullptr);
  EXPECT_NE(host.resource("wasi:io/streams@0.2.0", "output-stream"),
            host.resource("wasi:io/streams@0.2.0", "input-stream"));
}

TEST(TypeMatcher, ParameterNamesDoNotMatterTypesAndLabelsDo) {
  wit::Scope scope;
  wit::read_declarations("record point { x: u32, y: u32 } record other { x: u32, z: u32 } enum e { a, b }", scope, {});
  TypeMatcher m;
  auto fn = [&](const char* text) { return wit::read_function(text, scope); };
  EXPECT_EQ(m.mismatch(fn("func(p: point, q: e) -> u8"), fn("func(where: point, what: e) -> u8")), "");
  EXPECT_EQ(m.mismatch(fn("func(p: other)"), fn("func(p: point)")),
            "parameter 1 (p): expected record { x: u32, y: u32 }, found record { x: u32, z: u32 }");
  EXPECT_EQ(m.mismatch(fn("func() -> e"), fn("func() -> option<e>")),
            "result: expected option<enum { a, b }>, found enum { a, b }");
  EXPECT_EQ(m.mismatch(fn("func()"), fn("func() -> u8")), "result: expected u8, found none");
}

// A resource the component imports stands for the host's resource it is
// paired with (by its name), and only for that one.
TEST(TypeMatcher, AResourceIsTheHostResourceItIsPairedWith) {
  wit::Scope host, guest;
  wit::read_declarations("resource input-stream; resource output-stream;", host, {});
  wit::read_declarations("resource input-stream; resource output-stream; resource mine;", guest, {});
  TypeMatcher m;
  auto h = [&](const char* text) { return wit::read_function(text, host); };
  auto g = [&](const char* text) { return wit::read_function(text, guest); };
  // Not paired yet: the component's output-stream is none of the host's.
  EXPECT_EQ(m.mismatch(g("func(s: borrow<output-stream>)"), h("func(s: borrow<output-stream>)")),
            "parameter 1 (s): expected borrow<output-stream>, found the component's own resource of that name");
  for (const char* name : {"input-stream", "output-stream"})
    ASSERT_TRUE(m.pair(guest.at(name).resource, host.at(name).resource));
  EXPECT_FALSE(m.pair(guest.at("input-stream").resource, host.at("output-stream").resource));
  EXPECT_EQ(m.mismatch(g("func(s: borrow<output-stream>)"), h("func(s: borrow<output-stream>)")), "");
  EXPECT_EQ(m.mismatch(g("func() -> output-stream"), h("func() -> output-stream")), "");
  EXPECT_EQ(m.mismatch(g("func(s: borrow<output-stream>)"), h("func(s: borrow<input-stream>)")),
            "parameter 1 (s): expected borrow<input-stream>, found borrow<output-stream>");
  EXPECT_EQ(m.mismatch(g("func(s: borrow<input-stream>)"), h("func(s: borrow<output-stream>)")),
            "parameter 1 (s): expected borrow<output-stream>, found borrow<input-stream>");
  EXPECT_EQ(m.mismatch(g("func(s: output-stream)"), h("func(s: borrow<output-stream>)")),
            "parameter 1 (s): expected borrow<output-stream>, found own<output-stream>");
  EXPECT_EQ(m.mismatch(g("func() -> mine"), h("func() -> output-stream")),
            "result: expected own<output-stream>, found own<mine>");
}

TEST(WitText, MistakesInADeclarationAreInternalErrors) {
  wit::Scope scope;
  EXPECT_THROW(wit::read_declarations("record r { a: nope }", scope, {}), Error);
  EXPECT_THROW(wit::read_declarations("use wasi:io/poll.{pollable};", scope, {}), Error);
  EXPECT_THROW(wit::read_function("func(a: u32", scope), Error);
  EXPECT_THROW(wit::read_function("func() -> u32 extra", scope), Error);
}
