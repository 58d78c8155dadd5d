#include "services/replication/replicator.h"

#include <algorithm>

#include "spdlog/spdlog.h"

namespace ilp {

absl::Duration BackoffDelay(int failures, absl::Duration cap, Random* random) {
  absl::Duration d = absl::Seconds(1);
  for (int i = 1; i < failures && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  const double jitter = 0.5 + static_cast<double>(random->Next64() % 1000) / 1000.0;
  return d * jitter;
}

Replicator::Replicator(SyncEngine* engine, SyncDialer* dialer, Random* random,
                       absl::Duration interval)
    : engine_(engine), dialer_(dialer), random_(random), interval_(interval) {}

Replicator::~Replicator() { Stop(); }

void Replicator::Start() {
  {
    absl::MutexLock l(&mu_);
    running_ = true;
  }
  thread_ = std::thread([this] { Loop(); });
}

bool Replicator::TriggerNow() {
  {
    absl::MutexLock l(&mu_);
    if (!running_ || stop_) return false;
    wake_ = true;
  }
  cv_.SignalAll();
  return true;
}

void Replicator::Stop() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<SessionStats> Replicator::SyncOnce() {
  absl::MutexLock l(&session_mu_);
  const uint64_t n = ++sessions_;
  std::unique_ptr<ClientSyncStream> stream = dialer_->Open();
  absl::StatusOr<SessionStats> st = engine_->RunChildSession(stream.get());
  if (!st.ok()) {
    engine_->RecordParentError(st.status());
    spdlog::warn("sync #{} with parent {} failed: {}", n, engine_->parent_id(), st.status().ToString());
  } else if (st->sent_changes + st->received_changes > 0) {
    spdlog::info("sync #{} with parent {}: sent {} and received {} changes ({} / {} bytes)", n,
                 engine_->parent_id(), st->sent_changes, st->received_changes, st->sent_bytes,
                 st->received_bytes);
  }
  return st;
}

void Replicator::Loop() {
  int failures = 0;
  for (;;) {
    absl::StatusOr<SessionStats> st = SyncOnce();
    absl::Duration wait = interval_;
    if (st.ok()) {
      failures = 0;
    } else {
      ++failures;
      wait = BackoffDelay(failures, std::min(interval_, absl::Minutes(5)), random_);
      spdlog::info("next sync with parent {} in {}", engine_->parent_id(), absl::FormatDuration(wait));
    }
    absl::MutexLock l(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || wake_; };
    cv_.WaitFor(&mu_, wait, woken);
    if (stop_) return;
    wake_ = false;
  }
}

}  // namespace ilp
