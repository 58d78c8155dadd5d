#include "services/admin/admin_grpc.h"

#include "services/common/grpc_status.h"

namespace ilp {

grpc::Status AdminGrpc::GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*,
                                  v1::NodeStatus* resp) {
  return Reply(core_->GetStatus(), resp);
}

grpc::Status AdminGrpc::GetTree(grpc::ServerContext*, const v1::GetTreeRequest*,
                                v1::GetTreeResponse* resp) {
  return Reply(core_->GetTree(), resp);
}

grpc::Status AdminGrpc::SyncNow(grpc::ServerContext*, const v1::SyncNowRequest* req,
                                v1::SyncNowResponse* resp) {
  return Reply(core_->SyncNow(*req), resp);
}

grpc::Status AdminGrpc::ListConflicts(grpc::ServerContext*, const v1::ListConflictsRequest* req,
                                      v1::ListConflictsResponse* resp) {
  return Reply(core_->ListConflicts(*req), resp);
}

grpc::Status AdminGrpc::Verify(grpc::ServerContext*, const v1::VerifyRequest* req,
                               v1::VerifyResponse* resp) {
  return Reply(core_->Verify(*req), resp);
}

grpc::Status AdminGrpc::ListQuarantine(grpc::ServerContext*, const v1::ListQuarantineRequest* req,
                                       v1::ListQuarantineResponse* resp) {
  return Reply(core_->ListQuarantine(*req), resp);
}

grpc::Status AdminGrpc::SatusehatStatus(grpc::ServerContext*, const v1::SatusehatStatusRequest* req,
                                        v1::SatusehatStatusResponse* resp) {
  return Reply(core_->SatusehatStatus(*req), resp);
}

grpc::Status AdminGrpc::SatusehatRetry(grpc::ServerContext*, const v1::SatusehatRetryRequest* req,
                                       v1::SatusehatRetryResponse* resp) {
  return Reply(core_->SatusehatRetry(*req), resp);
}

grpc::Status AdminGrpc::Backup(grpc::ServerContext* ctx, const v1::BackupRequest*,
                               grpc::ServerWriter<v1::BackupChunk>* writer) {
  return ToGrpcStatus(core_->Backup([&](const v1::BackupChunk& c) {
    return !ctx->IsCancelled() && writer->Write(c);
  }));
}

}  // namespace ilp
