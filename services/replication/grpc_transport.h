// Sync sessions over gRPC: the child's dialer, and the parent's service.
#ifndef ILP_SERVICES_REPLICATION_GRPC_TRANSPORT_H_
#define ILP_SERVICES_REPLICATION_GRPC_TRANSPORT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "ilp/v1/sync.grpc.pb.h"
#include "absl/time/time.h"
#include "services/replication/stream.h"
#include "services/replication/sync_engine.h"

namespace ilp {

// Dials the parent at `address` with `creds`; each session may last at most
// `session_timeout_s`. The channel reconnects no slower than
// `max_reconnect_backoff_ms`, so a link that comes back is used at once.
class GrpcDialer : public SyncDialer {
 public:
  GrpcDialer(const std::string& address, std::shared_ptr<grpc::ChannelCredentials> creds,
             int session_timeout_s, int max_reconnect_backoff_ms);
  std::unique_ptr<ClientSyncStream> Open() override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Sync::Stub> stub_;
  const int timeout_s_;
};

// ilp.v1.Sync: hands each session to the engine, with the identity the
// transport proved (`authenticate`), and ends sessions idle for `idle`.
// A certificate holds at most one session at a time, counted before its
// Hello is read (ABORTED beyond), so one node's silent streams cannot pin
// the server's threads.
class SyncGrpc final : public v1::Sync::Service {
 public:
  SyncGrpc(SyncEngine* engine, bool authenticate, absl::Duration idle)
      : engine_(engine), authenticate_(authenticate), idle_(idle) {}
  grpc::Status Session(grpc::ServerContext* ctx,
                       grpc::ServerReaderWriter<v1::SyncMessage, v1::SyncMessage>* stream) override;

 private:
  SyncEngine* const engine_;
  const bool authenticate_;
  const absl::Duration idle_;
  absl::Mutex mu_;
  std::set<std::string> open_ ABSL_GUARDED_BY(mu_);  // node ids with a session open
};

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_GRPC_TRANSPORT_H_
