// How the WASI host declares its interfaces: each function is registered
// with its WIT signature next to its implementation, so the type a
// component's import is checked against (component_instance.cpp) and the
// values the implementation reads cannot drift apart. Internal to
// src/component/wasi.
//
//   Interface streams(into, "wasi:io/streams", R"(
//     use wasi:io/poll.{pollable};
//     variant stream-error { last-operation-failed(error), closed }
//     resource output-stream;
//   )");
//   streams.def("[method]output-stream.check-write", "func() -> result<u64, stream-error>") = impl;
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "component/wit_text.h"
#include "wasmlet/component/wasi_host.h"

namespace wasmlet::component::wasi {

struct HostFunction {
  FunctionTypePtr type;  // what the implementation reads and returns
  WasiHost::Function call;
};

// Every interface the host provides (names without version).
struct Interfaces {
  std::map<std::string, std::map<std::string, HostFunction, std::less<>>, std::less<>> functions;
  wit::Scopes types;  // each interface's named types and resources
};

class Interface {
 public:
  // Declares interface `name` (an interface without functions, as
  // wasi:cli/terminal-input, is provided all the same) and its WIT types.
  Interface(Interfaces& all, std::string name, std::string_view wit_types = {});

  // Registers `function` with its WIT signature; the implementation is
  // assigned to the slot returned. A method's signature is written as in
  // WIT, without `self`: "[method]R.f" takes a borrow<R> first.
  WasiHost::Function& def(std::string_view function, std::string_view signature);

 private:
  Interfaces& all_;
  std::string name_;
};

}  // namespace wasmlet::component::wasi
