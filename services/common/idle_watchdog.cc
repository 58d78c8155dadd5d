#include "services/common/idle_watchdog.h"

namespace ilp {
namespace {

int64_t MonoNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

IdleWatchdog::Lease::Lease(IdleWatchdog* owner, grpc::ServerContext* ctx, absl::Duration idle)
    : owner_(owner), ctx_(ctx), idle_ns_(absl::ToInt64Nanoseconds(idle)), last_ns_(MonoNs()) {}

IdleWatchdog::Lease::~Lease() {
  absl::MutexLock l(&owner_->mu_);
  owner_->leases_.erase(this);
}

void IdleWatchdog::Lease::Touch() { last_ns_.store(MonoNs()); }

IdleWatchdog& IdleWatchdog::Global() {
  static IdleWatchdog* w = new IdleWatchdog();  // lives for the process
  return *w;
}

IdleWatchdog::IdleWatchdog() {
  thread_ = std::thread([this] { Loop(); });
  thread_.detach();
}

std::unique_ptr<IdleWatchdog::Lease> IdleWatchdog::Watch(grpc::ServerContext* ctx,
                                                         absl::Duration idle) {
  std::unique_ptr<Lease> lease(new Lease(this, ctx, idle));
  absl::MutexLock l(&mu_);
  leases_[lease.get()] = true;
  return lease;
}

void IdleWatchdog::Loop() {
  for (;;) {
    absl::SleepFor(absl::Milliseconds(250));
    const int64_t now = MonoNs();
    absl::MutexLock l(&mu_);  // a lease cannot be destroyed while we hold it
    for (auto& [lease, unused] : leases_) {
      if (!lease->expired_.load() && now - lease->last_ns_.load() > lease->idle_ns_.load()) {
        lease->expired_.store(true);
        lease->ctx_->TryCancel();
      }
    }
  }
}

}  // namespace ilp
