// wabt 1.0.32's interpreter keeps the stack trace of a trap and the frames
// of a running thread private, but wasmlet needs them to name the function
// that trapped. Explicit template instantiation may name private members
// ([temp.spec] allows it), which gives a read-only accessor without
// touching wabt's headers or layout.
#pragma once

#include <wabt/interp/interp.h>

#include <vector>

namespace wasmlet::detail {

template <typename Tag, typename Tag::type Member>
struct PrivateMember {
  friend typename Tag::type private_member(Tag) { return Member; }
};

struct TrapTraceTag {
  using type = std::vector<wabt::interp::Frame> wabt::interp::Trap::*;
  friend type private_member(TrapTraceTag);
};
struct ThreadFramesTag {
  using type = std::vector<wabt::interp::Frame> wabt::interp::Thread::*;
  friend type private_member(ThreadFramesTag);
};

// The instantiations that grant access. Friend functions defined this way
// are visible only in the translation unit that instantiates them, so only
// wabt_interp.cpp may include this header.
template struct PrivateMember<TrapTraceTag, &wabt::interp::Trap::trace_>;
template struct PrivateMember<ThreadFramesTag, &wabt::interp::Thread::frames_>;

inline const std::vector<wabt::interp::Frame>& trap_trace(const wabt::interp::Trap& trap) {
  return trap.*private_member(TrapTraceTag{});
}
inline const std::vector<wabt::interp::Frame>& thread_frames(const wabt::interp::Thread& thread) {
  return thread.*private_member(ThreadFramesTag{});
}

}  // namespace wasmlet::detail
