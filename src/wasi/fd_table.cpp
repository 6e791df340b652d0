#include "fd_table.h"

namespace wasmlet::wasi {

uint32_t FdTable::insert(std::shared_ptr<FdEntry> entry, wasi_sys::FdSlot& slot) {
  slot.keep();  // already counted
  return place(std::move(entry));
}

uint32_t FdTable::insert(std::shared_ptr<FdEntry> entry) {
  share_.take();
  return place(std::move(entry));
}

uint32_t FdTable::place(std::shared_ptr<FdEntry> entry) {
  while (lowest_free_ < slots_.size() && slots_[lowest_free_]) ++lowest_free_;
  uint32_t fd = lowest_free_;
  if (fd == slots_.size()) slots_.push_back(nullptr);
  slots_[fd] = std::move(entry);
  ++lowest_free_;
  ++open_;
  return fd;
}

std::shared_ptr<FdEntry> FdTable::get(uint32_t fd) const {
  return fd < slots_.size() ? slots_[fd] : nullptr;
}

bool FdTable::remove(uint32_t fd) {
  if (fd >= slots_.size()) return false;
  bool was_open = slots_[fd] != nullptr;
  slots_[fd].reset();
  if (was_open) {
    --open_;
    share_.give_back();
  }
  if (fd < lowest_free_) lowest_free_ = fd;
  while (!slots_.empty() && !slots_.back()) slots_.pop_back();
  if (lowest_free_ > slots_.size()) lowest_free_ = static_cast<uint32_t>(slots_.size());
  return was_open;
}

bool FdTable::renumber(uint32_t from, uint32_t to) {
  if (!get(from) || !get(to)) return false;
  if (from == to) return true;
  slots_[to] = std::move(slots_[from]);  // what was at `to` is closed
  --open_;
  share_.give_back();
  remove(from);
  return true;
}

}  // namespace wasmlet::wasi
