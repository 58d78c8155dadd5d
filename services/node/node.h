// One ilp-node: the store, the HLC, the services and the gRPC server, wired
// from a NodeConfig. The daemon (main.cc) and in-process tests both use it.
//
//   ILP_ASSIGN_OR_RETURN(auto node, Node::Start(cfg, &clock, random.get()));
//   ... node->address() ...
//   node->Shutdown();
#ifndef ILP_SERVICES_NODE_NODE_H_
#define ILP_SERVICES_NODE_NODE_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "ilp/v1/config.pb.h"
#include "services/admin/admin_core.h"
#include "services/admin/admin_grpc.h"
#include "services/metrics/metrics_http.h"
#include "services/pki/verifier.h"
#include "services/audit/audit_log.h"
#include "services/auth/gate.h"
#include "services/records/records_access.h"
#include "services/records/records_core.h"
#include "services/records/records_grpc.h"
#include "services/replication/grpc_transport.h"
#include "services/replication/replicator.h"
#include "services/bundle/bundle_desk.h"
#include "services/replication/sync_engine.h"
#include "services/satusehat/exporter.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"

namespace ilp {

// How often queued audit events (reads, refusals) are committed: the most a
// crash can lose, plus one fsync (docs/security.md, "Audit trail").
inline constexpr absl::Duration kAuditCommitInterval = absl::Milliseconds(5);

// Reads the district's token public key (a "k4.public." PASERK line).
ABSL_MUST_USE_RESULT absl::StatusOr<auth::PublicKey> LoadTokenPublicKey(const std::string& path);

struct NodeOptions {
  // Replaces the gRPC dialer to the parent (tests inject faulty networks).
  // Must outlive the node.
  SyncDialer* dialer = nullptr;
  // Run the background replication loop; tests drive SyncOnce() instead.
  bool run_replicator = true;
  // Replaces the HTTP client of the SATUSEHAT exporter. Must outlive the node.
  satusehat::HttpClient* satusehat_http = nullptr;
  // Run the background SATUSEHAT export loop; tests drive RunOnce() instead.
  bool run_satusehat = true;
  // The audit group commit's interval (tests lengthen it to hold events in
  // the queue until a clean shutdown commits them).
  absl::Duration audit_commit_interval = kAuditCommitInterval;
};

class Node {
 public:
  // Opens the store, restores the clock and starts serving. `clock` and
  // `random` must outlive the node.
  ABSL_MUST_USE_RESULT static absl::StatusOr<std::unique_ptr<Node>> Start(const v1::NodeConfig& cfg, Clock* clock,
                                                     Random* random, NodeOptions options = {});
  ~Node();

  // Stops accepting calls and lets running calls finish for up to 1 s (a cut
  // sync session resumes next time; every acknowledged write is already
  // durable), then closes the store.
  void Shutdown();
  // Blocks until the server has shut down.
  void Wait();

  // The bound gRPC address (the real port when the config asked for port 0).
  const std::string& address() const { return address_; }
  const v1::NodeConfig& config() const { return cfg_; }
  Store* store() { return store_.get(); }
  RecordsCore* records() { return records_.get(); }
  HybridClock* hlc() { return hlc_.get(); }
  SyncEngine* sync() { return sync_.get(); }
  // The replicator towards the parent; nullptr at the root.
  Replicator* replicator() { return replicator_.get(); }
  AdminCore* admin() { return admin_.get(); }
  // The SATUSEHAT exporter; nullptr when the config has no satusehat block.
  satusehat::Exporter* exporter() { return exporter_.get(); }
  AuditLog* audit() { return audit_.get(); }
  // The bound metrics port; 0 when metrics_listen is empty.
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }

 private:
  Node() = default;

  v1::NodeConfig cfg_;
  std::string address_;
  std::unique_ptr<pki::CertVerifier> verifier_;  // null when insecure
  std::unique_ptr<Store> store_;
  std::unique_ptr<HybridClock> hlc_;
  std::unique_ptr<RecordsCore> records_;
  std::unique_ptr<auth::AccessGate> gate_;
  std::unique_ptr<AuditLog> audit_;  // before the store closes: commits what is queued
  std::unique_ptr<RecordsAccess> access_;
  std::unique_ptr<RecordsGrpc> records_grpc_;
  std::unique_ptr<SyncEngine> sync_;
  std::unique_ptr<SyncGrpc> sync_grpc_;
  std::unique_ptr<SyncDialer> dialer_;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<bundle::BundleDesk> bundles_;  // null when insecure
  std::unique_ptr<AdminCore> admin_;
  std::unique_ptr<AdminGrpc> admin_grpc_;
  std::unique_ptr<satusehat::HttpClient> satusehat_http_;
  std::unique_ptr<satusehat::Exporter> exporter_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsServer> metrics_;  // declared last: stops first
  // The metrics server (civetweb inside prometheus-cpp) takes ~2 s to stop;
  // it stops alongside the gRPC server.
  std::thread metrics_stopper_;
  bool shut_down_ = false;
};

}  // namespace ilp

#endif  // ILP_SERVICES_NODE_NODE_H_
