// The fast interpreter's internal code: a function is translated once, on
// its first call, into a stream of 8-byte words. Each instruction is the
// address of its handler in the dispatch loop (direct threading with
// computed goto) followed by its operands, which are frame slot indices and
// immediates (ops.def documents the layouts). Values live in 8-byte frame
// slots (a v128 takes two): a function's frame holds its parameters, its
// locals and then one slot per operand stack position, so instructions
// read and write slots directly and nothing is pushed or popped.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "engine/decode/decoded_module.h"
#include "engine/decode/features.h"
#include "engine/hot/hot_abi.h"

namespace wasmlet::detail::fast {

union Word {
  const void* handler;
  uint64_t u64;
  int64_t i64;
  struct {
    uint32_t a, b;
  } pair;
};
static_assert(sizeof(Word) == 8);

enum class Op : uint16_t {
#define OP_NAME(name) name,
#include "engine/fast/op_list.inc"
  count_
};

// One translated function.
// Every function's code starts with its entry's fuel check point (`fuel`,
// kEntryWords words); a call charges that itself and enters right after it.
inline constexpr size_t kEntryWords = 2;

// Where each of the four instructions of a digit loop (ops.def:
// i32_digits_loop) starts, in words from the first (an i32_add_ri of
// three): the translator recognises the loop by them, the interpreter reads
// their operands there.
inline constexpr size_t kDigitLoopDivide = 3;      // i32_divrem_u_by or i64_divrem_u_ri, 5 words
inline constexpr size_t kDigitLoopStore = 8;       // i32_or_ri_store8, 3 words
inline constexpr size_t kDigitLoopTest = 11;       // i32_gt_u_ri_copy_br_if_loop (i64_...), 6 words:
inline constexpr size_t kDigitLoopTestWords = 6;   //   its back-edge's offset 4 words in, the cost last
inline constexpr size_t kDigitLoopWords = kDigitLoopTest + kDigitLoopTestWords;

struct Code {
  std::vector<Word> words;
  uint32_t frame_slots = 0;  // everything the frame uses, operand slots and outgoing call results included
  // The cost of the function entry's fuel check point (the `fuel` instruction
  // the code starts with): a call charges it itself and enters at word 2.
  int64_t entry_fuel = 0;
  std::vector<std::string> messages;  // for `unsupported`
  // A function with native code (hot/) runs it: its words are the entry's
  // fuel check point with cost 0 (the native code charges it itself), then
  // `native`, which calls this (ModuleCode makes them, the interpreter's
  // L_native runs them).
  wasmlet_hot::Function native = nullptr;
};

}  // namespace wasmlet::detail::fast
namespace wasmlet::detail::hot {
class HotLibrary;  // hot_library.h
}
namespace wasmlet::detail::fast {

// The translated functions of one module, shared by all its instances (and
// threads): each is translated on its first call.
class ModuleCode {
 public:
  ModuleCode(std::shared_ptr<const std::vector<uint8_t>> bytes, std::shared_ptr<const decode::Module> module);
  const decode::Module& module() const { return *module_; }
  std::span<const uint8_t> bytes() const { return *bytes_; }
  // From the name section; "func[N]" if unnamed.
  const std::string& function_name(uint32_t index) const { return names_[index]; }
  // The code of defined function `defined_index`, translating it if it is
  // the first call. Throws only on internal errors (the module is valid).
  const Code& code(uint32_t defined_index) const {
    const Code* c = slots_[defined_index].load(std::memory_order_acquire);
    return c ? *c : translate(defined_index);
  }
  // How many functions have been translated (for tests).
  size_t translated_count() const;
  // The defined indices of the functions called so far (translated, or
  // given native code), in increasing order.
  std::vector<uint32_t> used_functions() const;
  // Native code for some of the functions: used by each one's first call
  // from now on (a function already translated keeps its code; earlier
  // libraries stay loaded, as code may run in them).
  void use_native(std::shared_ptr<const hot::HotLibrary> library) const;

 private:
  const Code& translate(uint32_t defined_index) const;

  std::shared_ptr<const std::vector<uint8_t>> bytes_;
  std::shared_ptr<const decode::Module> module_;
  std::vector<std::string> names_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<std::atomic<const Code*>[]> slots_;
  mutable std::vector<std::unique_ptr<Code>> owned_;
  mutable std::vector<std::shared_ptr<const hot::HotLibrary>> native_;  // guarded by mutex_; the last is used
};

// The handler addresses of the dispatch loop, by Op (interpreter.cpp).
const void* const* handler_table();

}  // namespace wasmlet::detail::fast
