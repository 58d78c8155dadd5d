// Need-to-know for app calls (docs/security.md, "Who may see what"): after
// the gate admitted a caller (services/auth/gate.h), RecordsAccess applies
// the area rules, calls RecordsCore and audits the call. gRPC-free: the
// handlers pass the gate's verdict in, and get absl statuses back.
//
// Out-of-area and absent records get the same PERMISSION_DENIED, so a
// caller never learns whether a record outside its area exists.
#ifndef ILP_SERVICES_RECORDS_RECORDS_ACCESS_H_
#define ILP_SERVICES_RECORDS_RECORDS_ACCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "services/audit/audit_log.h"
#include "services/auth/caller.h"
#include "services/records/records_core.h"
#include "services/replication/scope.h"

namespace ilp {

using auth::Caller;
using Admitted = absl::StatusOr<Caller>;

class RecordsAccess {
 public:
  // All pointers must outlive this.
  RecordsAccess(RecordsCore* core, Store* store, AuditLog* audit)
      : core_(core), store_(store), audit_(audit) {}

#define ILP_ACCESS(Method, Req, Resp) \
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Resp> Method(const Admitted& who, const v1::Req& req);
  ILP_ACCESS(CreatePatient, CreatePatientRequest, Patient)
  ILP_ACCESS(UpdatePatient, UpdatePatientRequest, Patient)
  ILP_ACCESS(GetPatient, GetPatientRequest, Patient)
  ILP_ACCESS(FindPatients, FindPatientsRequest, FindPatientsResponse)
  ILP_ACCESS(LinkPatients, LinkPatientsRequest, Patient)
  ILP_ACCESS(RecordEncounter, RecordEncounterRequest, RecordEncounterResponse)
  ILP_ACCESS(MarkEnteredInError, MarkEnteredInErrorRequest, MarkEnteredInErrorResponse)
  ILP_ACCESS(CreateReferral, CreateReferralRequest, Referral)
  ILP_ACCESS(GetReferral, GetReferralRequest, Referral)
  ILP_ACCESS(TransitionReferral, TransitionReferralRequest, Referral)
  ILP_ACCESS(RespondToReferral, RespondToReferralRequest, RespondToReferralResponse)
  ILP_ACCESS(UpdateTask, UpdateTaskRequest, Task)
  ILP_ACCESS(ListPatientHistory, ListPatientHistoryRequest, ListPatientHistoryResponse)
  ILP_ACCESS(ListTasks, ListTasksRequest, ListTasksResponse)
#undef ILP_ACCESS

  // WatchChanges: audits a refused opening. An admitted stream is audited
  // per batch it delivers (WatchBatchAudit), since only then does it name
  // patients.
  ABSL_MUST_USE_RESULT absl::Status OpenWatch(const Admitted& who);
  // Collects what one WatchChanges batch hands `who` and audits it as one
  // event; a batch that delivered nothing writes no event (audit events enter
  // the change log the stream reads, and must not feed it).
  class WatchBatchAudit {
   public:
    WatchBatchAudit(RecordsAccess* access, const Admitted& who) : access_(access), who_(who) {}
    ~WatchBatchAudit();
    void Delivered(const v1::Record& r);

   private:
    RecordsAccess* const access_;
    const Admitted& who_;
    std::vector<std::string> patients_, records_;
  };
  // Which records `c` may see: the rule a parent uses for a child's subtree
  // (ChildScope over the token's area and node). Its cache lives for one
  // batch: make a new one per batch so a patient who moves out drops out.
  // nullptr for an unrestricted caller: everything is visible.
  std::unique_ptr<ChildScope> ScopeFor(const Caller& c) const;

  // Queues an audit event for a call that wrote nothing.
  void Audit(const Admitted& who, const char* rpc, std::vector<std::string> patient_ids,
             std::vector<std::string> record_ids, const absl::Status& outcome);

 private:
  // OK if record `id` is visible to `c`; else PERMISSION_DENIED, the same
  // whether the record is out of area or absent.
  ABSL_MUST_USE_RESULT absl::Status Visible(const Caller& c, const std::string& id, const char* what);
  ABSL_MUST_USE_RESULT absl::Status VillageInArea(const Caller& c, const std::string& village,
                                                  const char* field) const;
  // Runs a write with its audit event in the write's batch.
  template <typename Resp, typename Fn>
  absl::StatusOr<Resp> Write(const Admitted& who, const char* rpc, std::vector<std::string> patients,
                             const std::function<absl::Status(const Caller&)>& check, Fn fn);
  // Runs a read and audits it.
  template <typename Resp, typename Fn>
  absl::StatusOr<Resp> Read(const Admitted& who, const char* rpc, std::vector<std::string> patients,
                            const std::function<absl::Status(const Caller&)>& check, Fn fn);

  RecordsCore* const core_;
  Store* const store_;
  AuditLog* const audit_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_RECORDS_RECORDS_ACCESS_H_
