// wabt 1.0.32's interpreter keeps the stack trace of a trap and the frames
// of a running thread private, but wasmlet needs them to name the function
// that trapped, and a memory's limits to enforce the Store's memory limit.
// Explicit template instantiation may name private members ([temp.spec]
// allows it), which gives an accessor without touching wabt's headers or layout.
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

struct MemoryTypeTag {
  using type = wabt::interp::MemoryType wabt::interp::Memory::*;
  friend type private_member(MemoryTypeTag);
};

// The instantiations that grant access. Friend functions defined this way
// are visible only in the translation unit that instantiates them, so only
// wabt_interp.cpp may include this header.
template struct PrivateMember<TrapTraceTag, &wabt::interp::Trap::trace_>;
template struct PrivateMember<ThreadFramesTag, &wabt::interp::Thread::frames_>;
template struct PrivateMember<MemoryTypeTag, &wabt::interp::Memory::type_>;

inline const std::vector<wabt::interp::Frame>& trap_trace(const wabt::interp::Trap& trap) {
  return trap.*private_member(TrapTraceTag{});
}
// A memory's limits, writable: wasmlet lowers a memory's maximum so that
// memory.grow returns -1 at the Store's limit (wabt has no growth hook).
inline wabt::interp::MemoryType& memory_type(wabt::interp::Memory& memory) {
  return memory.*private_member(MemoryTypeTag{});
}
inline const std::vector<wabt::interp::Frame>& thread_frames(const wabt::interp::Thread& thread) {
  return thread.*private_member(ThreadFramesTag{});
}

}  // namespace wasmlet::detail
