#include "services/admin/admin_grpc.h"

#include "absl/strings/str_cat.h"
#include "services/audit/audit_query.h"
#include "services/common/grpc_status.h"
#include "services/security/call_auth.h"

namespace ilp {

// Every handler starts here: the gate admits the caller for "Admin.<Method>".
#define ILP_ADMIT(Method)                                                     \
  if (absl::StatusOr<auth::Caller> who = AdmitCall(*gate_, *ctx, "Admin." #Method); !who.ok()) \
  return ToGrpcStatus(who.status())

#define ILP_ADMIN(Method, Req, Resp, call)                                                 \
  grpc::Status AdminGrpc::Method(grpc::ServerContext* ctx, const v1::Req* req,            \
                                 v1::Resp* resp) {                                        \
    ILP_ADMIT(Method);                                                                    \
    return Reply(call, resp);                                                             \
  }

ILP_ADMIN(GetStatus, GetStatusRequest, NodeStatus, ((void)req, core_->GetStatus()))
ILP_ADMIN(GetTree, GetTreeRequest, GetTreeResponse, ((void)req, core_->GetTree()))
ILP_ADMIN(SyncNow, SyncNowRequest, SyncNowResponse, core_->SyncNow(*req))
ILP_ADMIN(ListConflicts, ListConflictsRequest, ListConflictsResponse, core_->ListConflicts(*req))
ILP_ADMIN(Verify, VerifyRequest, VerifyResponse, core_->Verify(*req))
ILP_ADMIN(ListQuarantine, ListQuarantineRequest, ListQuarantineResponse, core_->ListQuarantine(*req))
ILP_ADMIN(ListAudit, ListAuditRequest, ListAuditResponse, ListAuditEvents(*store_, *req))

grpc::Status AdminGrpc::RevokeToken(grpc::ServerContext* ctx, const v1::RevokeTokenRequest* req,
                                    v1::RevokeTokenResponse* resp) {
  absl::StatusOr<auth::Caller> who = AdmitCall(*gate_, *ctx, "Admin.RevokeToken");
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (!is_root_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "RevokeToken: tokens are revoked at the district (the root node); the "
                        "revocation reaches this node with the next sync");
  }
  return Reply(records_->RevokeToken(req->jti(), req->reason(), who->sub), resp);
}

ILP_ADMIN(SatusehatStatus, SatusehatStatusRequest, SatusehatStatusResponse, core_->SatusehatStatus(*req))
ILP_ADMIN(SatusehatRetry, SatusehatRetryRequest, SatusehatRetryResponse, core_->SatusehatRetry(*req))

grpc::Status AdminGrpc::Backup(grpc::ServerContext* ctx, const v1::BackupRequest*,
                               grpc::ServerWriter<v1::BackupChunk>* writer) {
  ILP_ADMIT(Backup);
  return ToGrpcStatus(core_->Backup([&](const v1::BackupChunk& c) {
    return !ctx->IsCancelled() && writer->Write(c);
  }));
}

}  // namespace ilp
