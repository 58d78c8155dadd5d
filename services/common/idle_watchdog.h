// Ends server calls that have been idle too long (a sync session whose child
// stopped talking, a follow stream nobody feeds), so idle calls cannot pin
// the server's threads. One background thread checks every 250 ms and
// cancels a call whose lease was not touched within its limit.
//
//   auto lease = IdleWatchdog::Global().Watch(ctx, absl::Seconds(120));
//   ... lease->Touch() on every message ...
#ifndef ILP_SERVICES_COMMON_IDLE_WATCHDOG_H_
#define ILP_SERVICES_COMMON_IDLE_WATCHDOG_H_

#include <grpcpp/server_context.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ilp {

class IdleWatchdog {
 public:
  // A watched call; unwatched when destroyed.
  class Lease {
   public:
    ~Lease();
    // Records activity now.
    void Touch();
    // Changes the idle limit from now on (e.g. longer once a session has
    // said who it is).
    void SetIdle(absl::Duration idle) { idle_ns_.store(absl::ToInt64Nanoseconds(idle)); }
    // True once the watchdog cancelled the call for idleness.
    bool expired() const { return expired_.load(); }

   private:
    friend class IdleWatchdog;
    Lease(IdleWatchdog* owner, grpc::ServerContext* ctx, absl::Duration idle);
    IdleWatchdog* const owner_;
    grpc::ServerContext* const ctx_;
    std::atomic<int64_t> idle_ns_;
    std::atomic<int64_t> last_ns_;
    std::atomic<bool> expired_{false};
  };

  // The process-wide watchdog (its thread starts on first use).
  static IdleWatchdog& Global();

  std::unique_ptr<Lease> Watch(grpc::ServerContext* ctx, absl::Duration idle);

 private:
  IdleWatchdog();
  void Loop();

  absl::Mutex mu_;
  std::map<Lease*, bool> leases_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_COMMON_IDLE_WATCHDOG_H_
