// Restart decisions: no / on_failure[:N] / always / unless_stopped, with an
// exponential backoff (the policy's delay, at least 100ms, doubled per
// attempt, at most 30s).
#pragma once

#include <chrono>
#include <cstdint>

#include "wasmlet/runtime/spec.h"

namespace wasmlet::runtime {

inline constexpr std::chrono::milliseconds kMinRestartBackoff{100};
inline constexpr std::chrono::seconds kMaxRestartBackoff{30};

// `restarts_done` restarts have happened already; `stopped_by_user` is true
// after stop/kill (which never lead to a restart).
bool should_restart(const RestartPolicy& policy, const WaitOutcome& outcome, uint32_t restarts_done, bool stopped_by_user);
std::chrono::nanoseconds restart_backoff(const RestartPolicy& policy, uint32_t restarts_done);

}  // namespace wasmlet::runtime
