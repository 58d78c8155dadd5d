// The Records API's domain logic, free of gRPC: validates input, turns each
// call into CRDT deltas stamped by the node's HLC, and commits them to the
// store in one durable batch. The gRPC handlers (records_grpc.h) only
// translate; tests drive this class directly too.
#ifndef ILP_SERVICES_RECORDS_RECORDS_CORE_H_
#define ILP_SERVICES_RECORDS_RECORDS_CORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ilp/v1/admin.pb.h"
#include "ilp/v1/records_service.pb.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/ids.h"
#include "storage/util/random.h"
#include "storage/util/status_macros.h"

namespace ilp {

// The audit event of one API write (docs/security.md, "Audit trail"). When
// the write commits, the event commits in the same WriteBatch, with the ids
// of every record written, and `committed` is set; a write that commits
// nothing (an idempotent retry, a refusal) leaves it unset.
struct WriteAudit {
  v1::AuditEvent event;
  bool committed = false;
};

class RecordsCore {
 public:
  // All pointers must outlive the core.
  RecordsCore(Store* store, HybridClock* hlc, Random* random);

  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Patient> CreatePatient(const v1::CreatePatientRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Patient> UpdatePatient(const v1::UpdatePatientRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Patient> GetPatient(const v1::GetPatientRequest& req) const;
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::FindPatientsResponse> FindPatients(const v1::FindPatientsRequest& req) const;
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Patient> LinkPatients(const v1::LinkPatientsRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::RecordEncounterResponse> RecordEncounter(
      const v1::RecordEncounterRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::MarkEnteredInErrorResponse> MarkEnteredInError(
      const v1::MarkEnteredInErrorRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Referral> CreateReferral(const v1::CreateReferralRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Referral> GetReferral(const v1::GetReferralRequest& req) const;
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Referral> TransitionReferral(const v1::TransitionReferralRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::RespondToReferralResponse> RespondToReferral(
      const v1::RespondToReferralRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Task> UpdateTask(const v1::UpdateTaskRequest& req,
      WriteAudit* audit = nullptr);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::ListPatientHistoryResponse> ListPatientHistory(
      const v1::ListPatientHistoryRequest& req) const;
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::ListTasksResponse> ListTasks(const v1::ListTasksRequest& req) const;

  // Writes a revocation of token `jti` (records_revocations.cc).
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(const std::string& jti,
                                                                          const std::string& reason,
                                                                          const std::string& by);

  const std::string& node_id() const { return hlc_->node_id(); }

  // The delta that adds external id (`system`, `value`) to record `id` (an
  // encounter, observation, immunization or referral), stamped now on this
  // node's HLC and checked by ValidateRecord; NOT_FOUND if the record is not
  // here. Not committed: for the node's own services (the SATUSEHAT exporter
  // commits it in the batch that stores its queue entry SENT, with
  // HlcHighWater()). Apps cannot write external ids: they are output only.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Record> ExternalIdDelta(const std::string& id,
                                                                 const std::string& system,
                                                                 const std::string& value);
  // The HLC high water to persist with a batch holding ExternalIdDelta's stamps.
  v1::Stamp HlcHighWater() const { return hlc_->HighWater(); }

  // An audit event as a record: a fresh id, created = now on the HLC.
  v1::Record AuditRecord(const v1::AuditEvent& event);

 private:
  // The public writes without waiting for their fsync (under mu_; the
  // public ones wait after releasing it, so writers share one fsync).
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Patient> CreatePatientUnacked(
      const v1::CreatePatientRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Patient> UpdatePatientUnacked(
      const v1::UpdatePatientRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Patient> LinkPatientsUnacked(
      const v1::LinkPatientsRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::RecordEncounterResponse> RecordEncounterUnacked(
      const v1::RecordEncounterRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::MarkEnteredInErrorResponse> MarkEnteredInErrorUnacked(
      const v1::MarkEnteredInErrorRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Referral> CreateReferralUnacked(
      const v1::CreateReferralRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Referral> TransitionReferralUnacked(
      const v1::TransitionReferralRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::RespondToReferralResponse> RespondToReferralUnacked(
      const v1::RespondToReferralRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Task> UpdateTaskUnacked(
      const v1::UpdateTaskRequest& req, WriteAudit* audit);
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::RevokeTokenResponse> RevokeTokenUnacked(const std::string& jti,
                                                                                 const std::string& reason,
                                                                                 const std::string& by);
  // `r` once every write it made or read is durable (Store::AwaitDurable).
  template <typename T>
  ABSL_MUST_USE_RESULT absl::StatusOr<T> Durable(absl::StatusOr<T> r) ABSL_LOCKS_EXCLUDED(mu_) {
    if (!r.ok()) return r;
    ILP_RETURN_IF_ERROR(store_->AwaitDurable());
    return r;
  }
  // Commits deltas with the HLC high water; durable once Durable() returns.
  ABSL_MUST_USE_RESULT absl::StatusOr<ApplyResult> Commit(std::vector<v1::Record> deltas,
                                                          WriteAudit* audit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits a lifecycle move of `cur` (a referral or task) to `to_state`,
  // stamped after its winning move; returns the merged state. REQUIRES: the
  // transition already checked.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Record> CommitMove(const v1::Record& cur, int to_state,
                                        const std::string& note, WriteAudit* audit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Loads a record of the given body kind, or NOT_FOUND naming `what`.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Record> Load(const std::string& id, v1::Record::BodyCase kind,
                                  const char* what) const;
  // Follows same_as links from `id` to the surviving record.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Record> Resolve(const std::string& id) const;
  // Idempotent creates, one rule for every kind: the record an earlier create
  // with client id `id` made, when its request `digest` matches (a retry gets
  // the first answer); nullopt when `id` is empty or unused; ALREADY_EXISTS
  // naming `what` when the id was used with other content.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::optional<v1::Record>> Replayed(const std::string& id,
                                                                         const std::string& digest,
                                                                         const char* what) const;
  // A fresh id, or `id` when the client gave one.
  std::string IdOr(const std::string& id);
  int64_t NowMs() const { return hlc_->physical()->NowMs(); }

  Store* const store_;
  HybridClock* const hlc_;
  // Ids the node makes (UUIDv7 with a per-generator tag and a counter).
  UuidV7Generator ids_;
  // Serializes check-then-write sequences of API writes (the state it guards
  // is in the store); taken before Store's lock (docs/reliability.md, "Locks
  // and sanitizers").
  absl::Mutex mu_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_RECORDS_RECORDS_CORE_H_
