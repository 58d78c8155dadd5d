// gRPC handlers of ilp.v1.Admin: thin translations onto AdminCore.
#ifndef ILP_SERVICES_ADMIN_ADMIN_GRPC_H_
#define ILP_SERVICES_ADMIN_ADMIN_GRPC_H_

#include "ilp/v1/admin.grpc.pb.h"
#include "services/admin/admin_core.h"

namespace ilp {

class AdminGrpc final : public v1::Admin::Service {
 public:
  explicit AdminGrpc(AdminCore* core) : core_(core) {}

  grpc::Status GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*,
                         v1::NodeStatus* resp) override;
  grpc::Status GetTree(grpc::ServerContext*, const v1::GetTreeRequest*,
                       v1::GetTreeResponse* resp) override;
  grpc::Status SyncNow(grpc::ServerContext*, const v1::SyncNowRequest* req,
                       v1::SyncNowResponse* resp) override;
  grpc::Status ListConflicts(grpc::ServerContext*, const v1::ListConflictsRequest* req,
                             v1::ListConflictsResponse* resp) override;
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest*,
                      v1::VerifyResponse* resp) override;
  grpc::Status ListQuarantine(grpc::ServerContext*, const v1::ListQuarantineRequest* req,
                              v1::ListQuarantineResponse* resp) override;
  grpc::Status SatusehatStatus(grpc::ServerContext*, const v1::SatusehatStatusRequest* req,
                               v1::SatusehatStatusResponse* resp) override;
  grpc::Status SatusehatRetry(grpc::ServerContext*, const v1::SatusehatRetryRequest* req,
                              v1::SatusehatRetryResponse* resp) override;
  grpc::Status Backup(grpc::ServerContext* ctx, const v1::BackupRequest*,
                      grpc::ServerWriter<v1::BackupChunk>* writer) override;

 private:
  AdminCore* const core_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_ADMIN_ADMIN_GRPC_H_
