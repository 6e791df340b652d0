// Which locals a call must zero. WebAssembly locals start at zero, but a
// local the function writes before any read on every path can start with
// whatever its slot held: the call skips zeroing it (printf's 30-odd
// locals were 6% of a printf-heavy program). A forward pass over the
// structured control flow, driven by the translator: the set of locals
// written on every path so far, intersected where paths join (a block's
// end, an if without else); a branch back to a loop changes nothing, as the
// set only grows along a path. A read of a local not in the set marks it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wasmlet::detail::fast {

class ZeroedLocals {
 public:
  // A function's `count` locals, the first `params` its parameters (written
  // by the caller). Past `kMaxTracked` declared locals every one is zeroed,
  // keeping translation linear in the function's size.
  ZeroedLocals(uint32_t params, uint32_t count);
  static constexpr uint32_t kMaxTracked = 4096;

  // Events, in code order, of reachable code only (the translator's view).
  void enter(bool loop);           // block, loop, if
  void enter_else(bool then_live);  // else: the then-arm fell through if `then_live`
  void leave(bool live, bool implicit_else);  // end of a block, loop or if
  void branch(uint32_t depth);     // a branch to the label `depth` levels out (not a loop's, not the function's)
  void read(uint32_t local);   // local.get (locals by their index, parameters included)
  void write(uint32_t local);  // local.set, local.tee

  // Whether the call must zero `local` (after the whole function).
  bool must_zero(uint32_t local) const;

 private:
  using Set = std::vector<uint64_t>;
  struct Frame {
    Set start;          // written on every path to the construct's entry
    Set end;            // intersection over the paths reaching its end
    bool end_reached = false;
    bool loop = false;  // a branch to it goes back to its start
  };
  static bool has(const Set& s, uint32_t i) { return (s[i / 64] >> (i % 64)) & 1; }
  void join(Frame& f, const Set& path);

  bool tracked_;
  Set current_;
  Set marked_;  // read before written on some path
  std::vector<Frame> frames_;  // the open constructs are the first depth_
  size_t depth_ = 0;
};

}  // namespace wasmlet::detail::fast
