// A condition variable for absl::Mutex whose timeouts run on the steady clock.
//
//   absl::MutexLock l(&mu_);
//   auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ready_; };
//   bool ok = cv_.WaitFor(&mu_, absl::Seconds(5), ready);
//   ...
//   { absl::MutexLock l(&mu_); ready_ = true; }
//   cv_.SignalAll();
//
// Abseil 20220623 (Debian 12) turns every Mutex and CondVar timeout into an
// absolute CLOCK_REALTIME deadline, so a wall clock set back during a wait
// stretches the wait by as much (a device clock corrected from a year ahead
// would sleep a year), and a clock faked by libfaketime is not the one the
// kernel waits on. std::condition_variable_any measures on steady_clock.
#ifndef ILP_STORAGE_UTIL_STEADY_WAIT_H_
#define ILP_STORAGE_UTIL_STEADY_WAIT_H_

#include <condition_variable>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ilp {

class SteadyCondVar {
 public:
  // Waits until `done()` holds or `timeout` passes on the steady clock;
  // returns `done()`. `mu` is released while waiting. REQUIRES: `mu` held,
  // and `done` needs it.
  template <typename Pred>
  bool WaitFor(absl::Mutex* mu, absl::Duration timeout, Pred done)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Lockable lock{mu};
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), done);
  }

  // Wakes every waiter; call after changing what they wait for (with or
  // without the mutex held).
  void SignalAll() { cv_.notify_all(); }

 private:
  // The BasicLockable face of an absl::Mutex the caller already holds.
  struct Lockable {
    absl::Mutex* mu;
    void lock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu->Lock(); }
    void unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu->Unlock(); }
  };
  std::condition_variable_any cv_;
};

}  // namespace ilp

#endif  // ILP_STORAGE_UTIL_STEADY_WAIT_H_
