// Restart decisions: no / on_failure[:N] / always / unless_stopped, with an
// exponential backoff (the policy's delay, at least 100ms, doubled per
// attempt, at most 1 minute, back to the first delay after a long run), as
// docker's restart manager decides them (moby restartmanager: 100ms, x2, at
// most 1 minute, reset by a run of 10s or more).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "wasmlet/runtime/spec.h"

namespace wasmlet::runtime {

inline constexpr std::chrono::milliseconds kMinRestartBackoff{100};
inline constexpr std::chrono::seconds kMaxRestartBackoff{60};  // docker's maxRestartTimeout
// A run at least this long was a healthy one: the back-off after it starts
// again from the first delay (docker's restart manager uses 10s too).
inline constexpr std::chrono::seconds kHealthyRunResetsBackoff{10};

// Whether a run that ended so is a failure for `on_failure`: a non-zero
// exit, a signal (a stop ends a guest with 143, a kill with 137), a trap,
// an OOM.
bool run_failed(const WaitOutcome& outcome);
// `restarts_done` restarts have happened already; `stopped_by_user` is true
// after stop/kill (which never lead to a restart).
bool should_restart(const RestartPolicy& policy, const WaitOutcome& outcome, uint32_t restarts_done, bool stopped_by_user);
// At daemon start, for an instance a user stopped or killed, as docker's
// daemon decides (it asks its restart manager with the last exit code; only
// unless-stopped reads the "manually stopped" flag): `always` starts again
// (the stop lasts until the daemon restarts); `on_failure` too when its last
// run failed (a stop's 143 is a failure) and attempts are left (restarts
// done < max_attempts, as moby's restore since moby#20853);
// `unless_stopped` is the policy whose stop lasts.
bool starts_again_with_the_daemon(const RestartPolicy& policy, bool stopped_by_user, const std::optional<WaitOutcome>& last_run,
                                  uint32_t restarts_done);
// The back-off before a restart that follows `doublings` quick restarts in a row.
std::chrono::nanoseconds restart_backoff(const RestartPolicy& policy, uint32_t doublings);

// The back-offs of one instance's restarts in turn: each one doubles the
// last, unless the run before it lasted kHealthyRunResetsBackoff or more.
// A fresh one per start (by a user or a daemon starting), as docker's.
class RestartBackoff {
 public:
  // The delay before restarting a run that lasted `ran_for`.
  std::chrono::nanoseconds next(const RestartPolicy& policy, std::chrono::nanoseconds ran_for);

 private:
  uint32_t quick_restarts_ = 0;  // restarts since the last healthy run
};

}  // namespace wasmlet::runtime
