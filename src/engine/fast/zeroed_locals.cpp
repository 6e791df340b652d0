#include "engine/fast/zeroed_locals.h"

#include <cstddef>

namespace wasmlet::detail::fast {

ZeroedLocals::ZeroedLocals(uint32_t params, uint32_t count)
    : tracked_(count - params <= kMaxTracked), current_((count + 63) / 64), marked_((count + 63) / 64) {
  for (uint32_t p = 0; p < params; ++p) write(p);
}

void ZeroedLocals::enter(bool loop) {
  if (!tracked_) return;
  // Frames past depth_ are kept with their sets' storage: a function's
  // blocks reuse them instead of allocating two sets each.
  if (depth_ == frames_.size()) frames_.emplace_back();
  Frame& f = frames_[depth_++];
  f.start = current_;
  f.end.assign(current_.size(), ~uint64_t(0));
  f.end_reached = false;
  f.loop = loop;
}

void ZeroedLocals::join(Frame& f, const Set& path) {
  for (size_t i = 0; i < path.size(); ++i) f.end[i] &= path[i];
  f.end_reached = true;
}

void ZeroedLocals::enter_else(bool then_live) {
  if (!tracked_ || depth_ == 0) return;
  Frame& f = frames_[depth_ - 1];
  if (then_live) join(f, current_);
  current_ = f.start;
}

void ZeroedLocals::leave(bool live, bool implicit_else) {
  if (!tracked_ || depth_ == 0) return;
  Frame& f = frames_[--depth_];
  if (f.loop) return;  // only the fallthrough leaves a loop: the set goes on as it is
  if (live) join(f, current_);
  if (implicit_else) join(f, f.start);
  if (f.end_reached) current_.swap(f.end);
}

void ZeroedLocals::branch(uint32_t depth) {
  if (!tracked_ || depth >= depth_) return;
  Frame& target = frames_[depth_ - 1 - depth];
  if (!target.loop) join(target, current_);
}

void ZeroedLocals::read(uint32_t local) {
  if (tracked_ && !has(current_, local)) marked_[local / 64] |= uint64_t(1) << (local % 64);
}

void ZeroedLocals::write(uint32_t local) {
  if (tracked_) current_[local / 64] |= uint64_t(1) << (local % 64);
}

bool ZeroedLocals::must_zero(uint32_t local) const { return !tracked_ || has(marked_, local); }

}  // namespace wasmlet::detail::fast
