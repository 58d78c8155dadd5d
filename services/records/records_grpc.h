// gRPC handlers of ilp.v1.Records: thin translations onto RecordsCore.
#ifndef ILP_SERVICES_RECORDS_RECORDS_GRPC_H_
#define ILP_SERVICES_RECORDS_RECORDS_GRPC_H_

#include <atomic>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "ilp/v1/records_service.grpc.pb.h"
#include "services/auth/gate.h"
#include "services/records/records_access.h"

namespace ilp {

class RecordsGrpc final : public v1::Records::Service {
 public:
  // Every call passes `gate` (who, which scope), then `access` (which
  // patients, audit). All must outlive the service.
  RecordsGrpc(const auth::AccessGate* gate, RecordsAccess* access, Store* store)
      : gate_(gate), access_(access), store_(store) {}

  // Ends every following WatchChanges stream within one poll (100 ms), so a
  // node shuts down without waiting out its grace period.
  void BeginShutdown() { shutting_down_.store(true); }

  // Limits on WatchChanges follow streams: at most `per_client` open per
  // client identity (RESOURCE_EXHAUSTED beyond), and a stream that delivered
  // nothing for `idle` ends with DEADLINE_EXCEEDED (reopen from the last seq).
  void SetFollowLimits(uint32_t per_client, absl::Duration idle) {
    max_follow_per_client_ = per_client;
    follow_idle_ = idle;
  }

  grpc::Status CreatePatient(grpc::ServerContext*, const v1::CreatePatientRequest* req,
                             v1::Patient* resp) override;
  grpc::Status UpdatePatient(grpc::ServerContext*, const v1::UpdatePatientRequest* req,
                             v1::Patient* resp) override;
  grpc::Status GetPatient(grpc::ServerContext*, const v1::GetPatientRequest* req,
                          v1::Patient* resp) override;
  grpc::Status FindPatients(grpc::ServerContext*, const v1::FindPatientsRequest* req,
                            v1::FindPatientsResponse* resp) override;
  grpc::Status LinkPatients(grpc::ServerContext*, const v1::LinkPatientsRequest* req,
                            v1::Patient* resp) override;
  grpc::Status RecordEncounter(grpc::ServerContext*, const v1::RecordEncounterRequest* req,
                               v1::RecordEncounterResponse* resp) override;
  grpc::Status MarkEnteredInError(grpc::ServerContext*, const v1::MarkEnteredInErrorRequest* req,
                                  v1::MarkEnteredInErrorResponse* resp) override;
  grpc::Status CreateReferral(grpc::ServerContext*, const v1::CreateReferralRequest* req,
                              v1::Referral* resp) override;
  grpc::Status GetReferral(grpc::ServerContext*, const v1::GetReferralRequest* req,
                           v1::Referral* resp) override;
  grpc::Status TransitionReferral(grpc::ServerContext*, const v1::TransitionReferralRequest* req,
                                  v1::Referral* resp) override;
  grpc::Status RespondToReferral(grpc::ServerContext*, const v1::RespondToReferralRequest* req,
                                 v1::RespondToReferralResponse* resp) override;
  grpc::Status UpdateTask(grpc::ServerContext*, const v1::UpdateTaskRequest* req,
                          v1::Task* resp) override;
  grpc::Status ListPatientHistory(grpc::ServerContext*, const v1::ListPatientHistoryRequest* req,
                                  v1::ListPatientHistoryResponse* resp) override;
  grpc::Status ListTasks(grpc::ServerContext*, const v1::ListTasksRequest* req,
                         v1::ListTasksResponse* resp) override;
  // Streams the change log after req->after_seq; with follow, waits for more
  // until the client cancels or the server shuts down.
  grpc::Status WatchChanges(grpc::ServerContext* ctx, const v1::WatchChangesRequest* req,
                            grpc::ServerWriter<v1::ChangeEvent>* writer) override;

 private:
  const auth::AccessGate* const gate_;
  RecordsAccess* const access_;
  Store* const store_;
  std::atomic<bool> shutting_down_{false};
  uint32_t max_follow_per_client_ = 4;
  absl::Duration follow_idle_ = absl::Seconds(120);
  absl::Mutex follow_mu_;
  std::map<std::string, uint32_t> follows_ ABSL_GUARDED_BY(follow_mu_);  // client -> open streams
};

}  // namespace ilp

#endif  // ILP_SERVICES_RECORDS_RECORDS_GRPC_H_
