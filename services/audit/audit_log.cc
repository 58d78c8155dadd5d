#include "services/audit/audit_log.h"

#include "spdlog/spdlog.h"

namespace ilp {

AuditLog::AuditLog(Store* store, RecordsCore* core, absl::Duration interval)
    : store_(store), core_(core), interval_(interval) {
  thread_ = std::thread([this] { Loop(); });
}

AuditLog::~AuditLog() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  thread_.join();
  absl::Status s = Flush();
  if (!s.ok()) spdlog::error("audit: events lost at shutdown: {}", std::string(s.message()));
}

void AuditLog::Add(const v1::AuditEvent& event) {
  v1::Record r = core_->AuditRecord(event);
  absl::MutexLock l(&mu_);
  queue_.push_back(std::move(r));
}

uint64_t AuditLog::committed() const {
  absl::MutexLock l(&mu_);
  return committed_;
}

absl::Status AuditLog::Flush() {
  absl::MutexLock f(&flush_mu_);
  std::vector<v1::Record> batch;
  {
    absl::MutexLock l(&mu_);
    batch.swap(queue_);
  }
  if (batch.empty()) return absl::OkStatus();
  const size_t n = batch.size();
  ApplyRequest req;
  req.deltas = batch;
  req.sync = true;
  absl::StatusOr<ApplyResult> res = store_->Apply(std::move(req));
  absl::MutexLock l(&mu_);
  if (!res.ok()) {
    // Kept for the next round (a full disk frees up); never dropped silently.
    queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
    return res.status();
  }
  committed_ += n;
  return absl::OkStatus();
}

void AuditLog::Loop() {
  bool warned = false;
  for (;;) {
    {
      absl::MutexLock l(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), interval_);
      if (stop_) return;
    }
    absl::Status s = Flush();
    if (!s.ok() && !warned) {
      spdlog::error("audit: cannot commit audit events (kept, retrying every {}): {}",
                    absl::FormatDuration(interval_), std::string(s.message()));
    }
    warned = !s.ok();
  }
}

}  // namespace ilp
