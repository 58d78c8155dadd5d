#include "services/records/records_grpc.h"

#include "absl/strings/str_cat.h"
#include "services/common/grpc_status.h"
#include "services/security/call_auth.h"
#include "services/security/peer_auth.h"
#include "storage/merge/merge.h"

namespace ilp {

// Every handler: the gate, then the access layer (area rules, audit), then the core.
#define ILP_UNARY(Method, Req, Resp)                                                  \
  grpc::Status RecordsGrpc::Method(grpc::ServerContext* ctx, const v1::Req* req,      \
                                   v1::Resp* resp) {                                  \
    return Reply(access_->Method(AdmitCall(*gate_, *ctx, "Records." #Method), *req), resp); \
  }

ILP_UNARY(CreatePatient, CreatePatientRequest, Patient)
ILP_UNARY(UpdatePatient, UpdatePatientRequest, Patient)
ILP_UNARY(GetPatient, GetPatientRequest, Patient)
ILP_UNARY(FindPatients, FindPatientsRequest, FindPatientsResponse)
ILP_UNARY(LinkPatients, LinkPatientsRequest, Patient)
ILP_UNARY(RecordEncounter, RecordEncounterRequest, RecordEncounterResponse)
ILP_UNARY(MarkEnteredInError, MarkEnteredInErrorRequest, MarkEnteredInErrorResponse)
ILP_UNARY(CreateReferral, CreateReferralRequest, Referral)
ILP_UNARY(GetReferral, GetReferralRequest, Referral)
ILP_UNARY(TransitionReferral, TransitionReferralRequest, Referral)
ILP_UNARY(RespondToReferral, RespondToReferralRequest, RespondToReferralResponse)
ILP_UNARY(UpdateTask, UpdateTaskRequest, Task)
ILP_UNARY(ListPatientHistory, ListPatientHistoryRequest, ListPatientHistoryResponse)
ILP_UNARY(ListTasks, ListTasksRequest, ListTasksResponse)
#undef ILP_UNARY

grpc::Status RecordsGrpc::WatchChanges(grpc::ServerContext* ctx,
                                       const v1::WatchChangesRequest* req,
                                       grpc::ServerWriter<v1::ChangeEvent>* writer) {
  const absl::StatusOr<auth::Caller> who = AdmitCall(*gate_, *ctx, "Records.WatchChanges");
  if (absl::Status s = access_->OpenWatch(who); !s.ok()) return ToGrpcStatus(s);
  const std::string client = ClientKey(*ctx);
  if (req->follow()) {
    absl::MutexLock l(&follow_mu_);
    if (follows_[client] >= max_follow_per_client_) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("follow: ", client, " already holds ", follows_[client],
                                       " follow streams (max_follow_streams_per_client)"));
    }
    ++follows_[client];
  }
  struct Release {
    RecordsGrpc* self;
    const std::string& client;
    bool follow;
    ~Release() {
      if (!follow) return;
      absl::MutexLock l(&self->follow_mu_);
      if (--self->follows_[client] == 0) self->follows_.erase(client);
    }
  } release{this, client, req->follow()};
  uint64_t cursor = req->after_seq();
  absl::Time last_event = absl::Now();
  while (!ctx->IsCancelled() && !shutting_down_.load()) {
    absl::StatusOr<std::vector<v1::Change>> changes = store_->ReadChanges(cursor, 256, 1 << 20);
    if (!changes.ok()) return ToGrpcStatus(changes.status());
    std::unique_ptr<ChildScope> scope = access_->ScopeFor(*who);  // fresh per batch
    RecordsAccess::WatchBatchAudit audit(access_, who);  // audits what this batch delivered
    bool delivered = false;
    for (v1::Change& c : *changes) {
      cursor = c.seq();
      // Only what the caller may see now: a record's current state decides.
      absl::StatusOr<v1::Record> state = store_->Get(c.delta().id());
      if (!state.ok() && !absl::IsNotFound(state.status())) return ToGrpcStatus(state.status());
      if (!state.ok()) continue;  // audit events (not records), or gone
      if (scope != nullptr) {
        absl::StatusOr<bool> visible = scope->Contains(*state);
        if (!visible.ok()) return ToGrpcStatus(visible.status());
        if (!*visible) continue;
      }
      v1::ChangeEvent ev;
      ev.set_seq(c.seq());
      ev.set_record_id(c.delta().id());
      ev.set_kind(KindName(c.delta()));
      ev.set_via(c.via());
      *ev.mutable_delta() = std::move(*c.mutable_delta());
      if (!writer->Write(ev)) return grpc::Status::OK;  // client went away
      audit.Delivered(*state);
      delivered = true;
    }
    // Idle means delivered nothing: entries the caller may not see (and the
    // audit events this stream's own batches add to the log) do not count.
    if (delivered) last_event = absl::Now();
    if (!changes->empty()) continue;
    if (!req->follow()) return grpc::Status::OK;
    if (absl::Now() - last_event > follow_idle_) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          absl::StrCat("follow: no change for ", absl::FormatDuration(follow_idle_),
                                       "; reopen with after_seq ", cursor));
    }
    store_->WaitForChange(cursor, absl::Milliseconds(100));
  }
  return grpc::Status::OK;
}

}  // namespace ilp
