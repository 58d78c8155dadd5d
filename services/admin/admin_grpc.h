// gRPC handlers of ilp.v1.Admin: the access gate (admin:read or admin:write,
// services/auth/gate.h), then a thin translation onto AdminCore.
#ifndef ILP_SERVICES_ADMIN_ADMIN_GRPC_H_
#define ILP_SERVICES_ADMIN_ADMIN_GRPC_H_

#include "ilp/v1/admin.grpc.pb.h"
#include "services/admin/admin_core.h"
#include "services/auth/gate.h"
#include "services/bundle/bundle_desk.h"
#include "services/records/records_core.h"

namespace ilp {

class AdminGrpc final : public v1::Admin::Service {
 public:
  // All pointers must outlive the service. `records` writes revocations;
  // `is_root`: this node is the district (no parent), where tokens are revoked.
  // `desk` is null on a node without a tls block: bundle calls then fail
  // with FAILED_PRECONDITION.
  AdminGrpc(AdminCore* core, const auth::AccessGate* gate, RecordsCore* records, Store* store,
            bool is_root, bundle::BundleDesk* desk)
      : core_(core), gate_(gate), records_(records), store_(store), is_root_(is_root), desk_(desk) {}

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
  // Bundles: admin_bundles.cc.
  grpc::Status ExportBundle(grpc::ServerContext* ctx, const v1::ExportBundleRequest* req,
                            grpc::ServerWriter<v1::BundleChunk>* writer) override;
  grpc::Status ImportBundle(grpc::ServerContext* ctx, grpc::ServerReader<v1::BundleChunk>* reader,
                            v1::ImportBundleResponse* resp) override;
  grpc::Status ImportReceipt(grpc::ServerContext*, const v1::ImportReceiptRequest* req,
                             v1::BundleReceipt* resp) override;
  grpc::Status ListAudit(grpc::ServerContext*, const v1::ListAuditRequest* req,
                         v1::ListAuditResponse* resp) override;
  grpc::Status RevokeToken(grpc::ServerContext*, const v1::RevokeTokenRequest* req,
                           v1::RevokeTokenResponse* resp) override;

 private:
  AdminCore* const core_;
  const auth::AccessGate* const gate_;
  RecordsCore* const records_;
  Store* const store_;
  const bool is_root_;
  bundle::BundleDesk* const desk_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_ADMIN_ADMIN_GRPC_H_
