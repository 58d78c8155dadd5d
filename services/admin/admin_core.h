// The Admin service's logic (ilp.v1.Admin), independent of gRPC: status of
// the node and its peers, the hierarchy below it from relayed status
// reports, sync on demand, lost writes, quarantined deltas and verification.
#ifndef ILP_SERVICES_ADMIN_ADMIN_CORE_H_
#define ILP_SERVICES_ADMIN_ADMIN_CORE_H_

#include <functional>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "ilp/v1/admin.pb.h"
#include "ilp/v1/config.pb.h"
#include "services/replication/replicator.h"
#include "services/replication/sync_engine.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"

namespace ilp {

class AdminCore {
 public:
  // Pointers must outlive the core; `replicator` is null at the root.
  // `clock` is the node's clock (ages and uptime are measured on it).
  AdminCore(const v1::NodeConfig& cfg, Store* store, SyncEngine* sync, Replicator* replicator,
            Clock* clock);

  ABSL_MUST_USE_RESULT absl::StatusOr<v1::NodeStatus> GetStatus() const;
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::GetTreeResponse> GetTree() const;
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::SyncNowResponse> SyncNow(const v1::SyncNowRequest& req);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::ListConflictsResponse> ListConflicts(const v1::ListConflictsRequest& req) const;
  // Logical checks; with `req.deep` block checksums of every table file first.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::VerifyResponse> Verify(const v1::VerifyRequest& req) const;
  // The newest `req.limit` (0 = 100) deltas refused from children, and the total.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::ListQuarantineResponse> ListQuarantine(
      const v1::ListQuarantineRequest& req) const;

  // A consistent online backup, sent through `send` (services/backup).
  ABSL_MUST_USE_RESULT absl::Status Backup(const std::function<bool(const v1::BackupChunk&)>& send) const;

  // SATUSEHAT export status (docs/satusehat.md): what `status_fn` reports, or
  // enabled = false when the node exports nothing.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::SatusehatStatusResponse> SatusehatStatus(
      const v1::SatusehatStatusRequest& req) const;
  // The same counts without the held-back list (for metrics); enabled = false when none.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::SatusehatStatusResponse> SatusehatCounts() const;
  // Makes held-back records due now; FAILED_PRECONDITION when the node exports nothing.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::SatusehatRetryResponse> SatusehatRetry(
      const v1::SatusehatRetryRequest& req);
  using SatusehatStatusFn = std::function<absl::StatusOr<v1::SatusehatStatusResponse>(int limit)>;
  using SatusehatRetryFn = std::function<absl::StatusOr<int>()>;
  // Set once by the node, before serving, when it runs an exporter.
  void SetSatusehat(SatusehatStatusFn status, SatusehatRetryFn retry) {
    satusehat_status_ = std::move(status);
    satusehat_retry_ = std::move(retry);
  }

  Store* store() const { return store_; }

 private:
  v1::PeerStatus PeerNow(const std::string& id, const std::string& role, int64_t now) const;

  const v1::NodeConfig cfg_;
  Store* const store_;
  SyncEngine* const sync_;
  Replicator* const replicator_;
  Clock* const clock_;
  const int64_t started_ms_;
  SatusehatStatusFn satusehat_status_;
  SatusehatRetryFn satusehat_retry_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_ADMIN_ADMIN_CORE_H_
