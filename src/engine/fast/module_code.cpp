#include "engine/fast/code.h"
#include "engine/fast/translator.h"
#include "engine/decode/name_section.h"
#include "engine/hot/hot_library.h"

namespace wasmlet::detail::fast {

ModuleCode::ModuleCode(std::shared_ptr<const std::vector<uint8_t>> bytes, std::shared_ptr<const decode::Module> module)
    : bytes_(std::move(bytes)), module_(std::move(module)), names_(decode::function_names(*module_, *bytes_)),
      slots_(new std::atomic<const Code*>[module_->bodies.size()]) {
  for (size_t i = 0; i < module_->bodies.size(); ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
}

const Code& ModuleCode::translate(uint32_t defined_index) const {
  std::lock_guard lock(mutex_);
  if (const Code* done = slots_[defined_index].load(std::memory_order_acquire)) return *done;
  auto code = std::make_unique<Code>();
  if (auto native = native_.empty() ? nullptr : native_.back()->function(defined_index)) {
    const decode::FuncType& type = module_->types[module_->bodies[defined_index].type_index];
    code->native = native;
    code->frame_slots = uint32_t(std::max(type.params.size(), type.results.size()));
    code->words.resize(kEntryWords + 1);
    code->words[0].handler = handler_table()[size_t(Op::fuel)];
    code->words[1].u64 = 0;
    code->words[kEntryWords].handler = handler_table()[size_t(Op::native)];
  } else {
    translate_function(*module_, *bytes_, defined_index, *code);
  }
  const Code* made = code.get();
  owned_.push_back(std::move(code));
  slots_[defined_index].store(made, std::memory_order_release);
  return *made;
}

void ModuleCode::use_native(std::shared_ptr<const hot::HotLibrary> library) const {
  std::lock_guard lock(mutex_);
  native_.push_back(std::move(library));
}

std::vector<uint32_t> ModuleCode::used_functions() const {
  std::vector<uint32_t> used;
  for (uint32_t i = 0; i < module_->bodies.size(); ++i)
    if (slots_[i].load(std::memory_order_acquire)) used.push_back(i);
  return used;
}

size_t ModuleCode::translated_count() const {
  std::lock_guard lock(mutex_);
  return owned_.size();
}

}  // namespace wasmlet::detail::fast
