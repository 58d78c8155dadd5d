// Sync sessions over gRPC: the child's dialer, and the parent's service.
#ifndef ILP_SERVICES_REPLICATION_GRPC_TRANSPORT_H_
#define ILP_SERVICES_REPLICATION_GRPC_TRANSPORT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "ilp/v1/sync.grpc.pb.h"
#include "services/replication/stream.h"
#include "services/replication/sync_engine.h"

namespace ilp {

// Dials the parent at `address`; each session may last at most `session_timeout_s`.
class GrpcDialer : public SyncDialer {
 public:
  GrpcDialer(const std::string& address, int session_timeout_s);
  std::unique_ptr<ClientSyncStream> Open() override;

 private:
  std::unique_ptr<v1::Sync::Stub> stub_;
  const int timeout_s_;
};

// ilp.v1.Sync: hands each session to the engine.
class SyncGrpc final : public v1::Sync::Service {
 public:
  explicit SyncGrpc(SyncEngine* engine) : engine_(engine) {}
  grpc::Status Session(grpc::ServerContext* ctx,
                       grpc::ServerReaderWriter<v1::SyncMessage, v1::SyncMessage>* stream) override;

 private:
  SyncEngine* const engine_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_GRPC_TRANSPORT_H_
