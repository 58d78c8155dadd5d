#include "services/records/records_grpc.h"

#include "services/common/grpc_status.h"
#include "storage/merge/merge.h"

namespace ilp {

#define ILP_UNARY(Method, Req, Resp)                                                  \
  grpc::Status RecordsGrpc::Method(grpc::ServerContext*, const v1::Req* req,          \
                                   v1::Resp* resp) {                                  \
    return Reply(core_->Method(*req), resp);                                          \
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
  uint64_t cursor = req->after_seq();
  while (!ctx->IsCancelled() && !shutting_down_.load()) {
    absl::StatusOr<std::vector<v1::Change>> changes = store_->ReadChanges(cursor, 256, 1 << 20);
    if (!changes.ok()) return ToGrpcStatus(changes.status());
    for (v1::Change& c : *changes) {
      v1::ChangeEvent ev;
      ev.set_seq(c.seq());
      ev.set_record_id(c.delta().id());
      ev.set_kind(KindName(c.delta()));
      ev.set_via(c.via());
      *ev.mutable_delta() = std::move(*c.mutable_delta());
      if (!writer->Write(ev)) return grpc::Status::OK;  // client went away
      cursor = c.seq();
    }
    if (!changes->empty()) continue;
    if (!req->follow()) return grpc::Status::OK;
    store_->WaitForChange(cursor, absl::Milliseconds(100));
  }
  return grpc::Status::OK;
}

}  // namespace ilp
