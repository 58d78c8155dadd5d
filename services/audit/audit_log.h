// Group commit of audit events that no write carries (reads, refusals,
// idempotent retries): events queue in memory and one background thread
// commits them every `interval` in one fsynced batch, so a read never waits
// for an fsync. An event is lost only if the node dies within `interval`
// plus one fsync of it (docs/security.md, "Audit trail"). A write's own
// event goes with the write instead (RecordsCore WriteAudit).
#ifndef ILP_SERVICES_AUDIT_AUDIT_LOG_H_
#define ILP_SERVICES_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ilp/v1/state.pb.h"
#include "services/records/records_core.h"
#include "storage/store/store.h"

namespace ilp {

class AuditLog {
 public:
  // `store` and `core` must outlive the log.
  AuditLog(Store* store, RecordsCore* core, absl::Duration interval);
  ~AuditLog();  // commits what is queued

  // Queues `event`, stamped now on the node's HLC.
  void Add(const v1::AuditEvent& event) ABSL_LOCKS_EXCLUDED(mu_);
  // Commits every queued event now.
  ABSL_MUST_USE_RESULT absl::Status Flush() ABSL_LOCKS_EXCLUDED(mu_, flush_mu_);

  // Events committed / still queued (for tests and metrics).
  uint64_t committed() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop();

  Store* const store_;
  RecordsCore* const core_;
  const absl::Duration interval_;
  absl::Mutex flush_mu_;  // one commit at a time, in queue order
  mutable absl::Mutex mu_;
  std::vector<v1::Record> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_AUDIT_AUDIT_LOG_H_
