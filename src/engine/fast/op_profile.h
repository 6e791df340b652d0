// The instruction profile: how often each internal instruction, and each
// pair of consecutive ones, ran. It shows which sequences are worth a fused
// instruction. Built only with -DWASMLET_FAST_OPCODE_PROFILE=ON (every
// dispatch then pays a count); the table goes to stderr when the process
// exits. Counts are per process and not synchronised: profile one thread.
#pragma once

namespace wasmlet::detail::fast::op_profile {

// Called before each dispatch with the instruction about to run (its first
// word holds its handler).
void step(const void* const* instruction);

}  // namespace wasmlet::detail::fast::op_profile
