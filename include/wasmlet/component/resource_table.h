// The handle table of a component instance (CanonicalABI.md, "Table" and
// "ResourceHandle"): guest-visible i32 handles for own and borrow handles to
// resources. Index 0 is never used; freed slots are reused. Every misuse
// (unknown handle, wrong resource type, dropping a lent own handle, dropping
// an owned handle through a borrow) throws AbiTrap.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "wasmlet/component/types.h"

namespace wasmlet::component {

struct ResourceHandle {
  ResourcePtr type;
  uint32_t rep = 0;   // the representation: what the resource's implementation knows it by
  bool own = true;
  uint32_t lends = 0;  // borrows of this own handle that are live in a call
};

class ResourceTable {
 public:
  static constexpr uint32_t kMaxLength = (1u << 28) - 1;

  uint32_t add(ResourceHandle handle);
  const ResourceHandle& get(uint32_t index) const;
  ResourceHandle& get(uint32_t index);
  ResourceHandle remove(uint32_t index);
  size_t live() const { return live_; }

  // lift_own: removes an own handle of type `type` and returns its rep.
  uint32_t lift_own(uint32_t index, const ResourcePtr& type);
  // lift_borrow: looks a handle of type `type` up, counts a lend on it for
  // the call in progress (end it with end_lend) and returns its rep.
  uint32_t lift_borrow(uint32_t index, const ResourcePtr& type);
  void end_lend(uint32_t index);
  uint32_t lower_own(uint32_t rep, const ResourcePtr& type) { return add({type, rep, true, 0}); }
  uint32_t lower_borrow(uint32_t rep, const ResourcePtr& type) { return add({type, rep, false, 0}); }
  // canon resource.drop: removes the handle; returns the rep if an own
  // handle was dropped (the caller runs the destructor), nothing for a borrow.
  std::optional<uint32_t> drop(uint32_t index, const ResourcePtr& type);
  // The component instance is gone: removes every handle, newest first, and
  // returns the reps of the own handles (their destructors are the caller's to run).
  std::vector<uint32_t> clear();

 private:
  const ResourceHandle& checked(uint32_t index, const ResourcePtr& type) const;
  std::vector<std::optional<ResourceHandle>> slots_{std::nullopt};
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

}  // namespace wasmlet::component
