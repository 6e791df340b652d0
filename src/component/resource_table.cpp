#include "wasmlet/component/resource_table.h"

#include <fmt/format.h>

#include "wasmlet/component/canonical_abi.h"

namespace wasmlet::component {

static std::string type_name(const ResourcePtr& t) { return t ? t->name : "?"; }

uint32_t ResourceTable::add(ResourceHandle h) {
  uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
    slots_[i] = std::move(h);
  } else {
    if (slots_.size() > kMaxLength) throw AbiTrap("resource table: more than 2^28-1 handles");
    i = uint32_t(slots_.size());
    slots_.push_back(std::move(h));
  }
  ++live_;
  return i;
}

ResourceHandle& ResourceTable::get(uint32_t i) {
  if (i >= slots_.size() || !slots_[i]) throw AbiTrap(fmt::format("resource table: handle {} does not exist", i));
  return *slots_[i];
}

const ResourceHandle& ResourceTable::get(uint32_t i) const {
  return const_cast<ResourceTable*>(this)->get(i);
}

ResourceHandle ResourceTable::remove(uint32_t i) {
  ResourceHandle h = std::move(get(i));
  slots_[i].reset();
  free_.push_back(i);
  --live_;
  return h;
}

std::vector<uint32_t> ResourceTable::clear() {
  std::vector<uint32_t> owned;
  for (size_t i = slots_.size(); i-- > 1;)
    if (slots_[i] && slots_[i]->own) owned.push_back(slots_[i]->rep);
  slots_.assign(1, std::nullopt);
  free_.clear();
  live_ = 0;
  return owned;
}

const ResourceHandle& ResourceTable::checked(uint32_t i, const ResourcePtr& type) const {
  auto& h = get(i);
  if (type && h.type != type)
    throw AbiTrap(fmt::format("resource table: handle {} is a {}, expected a {}", i, type_name(h.type), type_name(type)));
  return h;
}

uint32_t ResourceTable::lift_own(uint32_t i, const ResourcePtr& type) {
  auto& h = checked(i, type);
  if (!h.own) throw AbiTrap(fmt::format("resource table: handle {} is a borrow, an own handle was expected", i));
  if (h.lends) throw AbiTrap(fmt::format("resource table: handle {} is lent out and cannot be moved", i));
  return remove(i).rep;
}

uint32_t ResourceTable::lift_borrow(uint32_t i, const ResourcePtr& type) {
  checked(i, type);
  auto& h = get(i);
  ++h.lends;
  return h.rep;
}

void ResourceTable::end_lend(uint32_t i) {
  if (i < slots_.size() && slots_[i] && slots_[i]->lends) --slots_[i]->lends;
}

std::optional<uint32_t> ResourceTable::drop(uint32_t i, const ResourcePtr& type) {
  auto& h = checked(i, type);
  if (h.own && h.lends) throw AbiTrap(fmt::format("resource table: handle {} is dropped while lent out", i));
  ResourceHandle removed = remove(i);
  if (removed.own) return removed.rep;
  return std::nullopt;
}

}  // namespace wasmlet::component
