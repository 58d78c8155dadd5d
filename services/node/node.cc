#include "services/node/node.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"

#include "absl/strings/str_cat.h"
#include "services/node/config.h"
#include "services/node/node_core.h"
#include "services/pki/internal/files.h"
#include "services/security/credentials.h"
#include "spdlog/spdlog.h"
#include "storage/util/status_macros.h"

namespace ilp {

absl::StatusOr<auth::PublicKey> LoadTokenPublicKey(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::FailedPreconditionError(
        absl::StrCat("auth.token_public_key_file ", path, ": cannot read"));
  }
  absl::StatusOr<auth::PublicKey> pk = auth::ParsePublicPaserk(absl::StripAsciiWhitespace(line));
  if (!pk.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("auth.token_public_key_file ", path, ": ",
                                                   pk.status().message()));
  }
  return pk;
}

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const v1::NodeConfig& cfg, Clock* clock,
                                                  Random* random, NodeOptions options) {
  std::unique_ptr<Node> n(new Node());
  n->cfg_ = cfg;
  ILP_RETURN_IF_ERROR(ValidateNodeConfig(&n->cfg_));  // fills defaults too
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir(), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir ", cfg.data_dir(), ": cannot create: ", ec.message()));
  }
  StoreOptions store_options;
  store_options.memory_mib = n->cfg_.store_memory_mib();
  store_options.min_free_bytes = uint64_t{n->cfg_.min_free_disk_mb()} << 20;
  ILP_ASSIGN_OR_RETURN(NodeCore core, NodeCore::Open(n->cfg_, clock, random, store_options));
  n->store_ = std::move(core.store);
  if (!n->store_->recovery_note().empty()) {
    spdlog::warn("store {}: {}", n->cfg_.data_dir(), n->store_->recovery_note());
  }
  n->hlc_ = std::move(core.hlc);
  n->records_ = std::move(core.records);
  n->sync_ = std::move(core.sync);
  const bool secure = !n->cfg_.insecure();
  const absl::Duration idle = absl::Seconds(n->cfg_.idle_timeout_s());
  n->sync_grpc_ = std::make_unique<SyncGrpc>(n->sync_.get(), secure, idle);
  HybridClock* hlc = n->hlc_.get();
  const TrustedTimeFn trusted_time = [hlc]() -> int64_t {
    const int64_t t = hlc->TrustedNowMs();
    return t > 0 ? t / 1000 : -1;  // never learned: see docs/security.md
  };
  std::optional<auth::PublicKey> token_key;
  if (!n->cfg_.auth().token_public_key_file().empty()) {
    ILP_ASSIGN_OR_RETURN(token_key, LoadTokenPublicKey(n->cfg_.auth().token_public_key_file()));
  } else {
    spdlog::warn("node {} has no auth.token_public_key_file: it verifies no app token, so Records "
                 "answers nobody and Admin only the operator certificate (docs/security.md)",
                 n->cfg_.node_id());
  }
  Store* store = n->store_.get();
  n->gate_ = std::make_unique<auth::AccessGate>(
      token_key,
      [store](const std::string& jti) {
        absl::StatusOr<bool> r = store->IsRevoked(jti);
        return !r.ok() || *r;  // cannot tell: refuse
      },
      [hlc, clock]() {
        // Token expiry is judged on trusted time, as certificates are; a
        // node that never learned it uses its own (injected) clock.
        const int64_t t = hlc->TrustedNowMs();
        return absl::FromUnixMillis(t > 0 ? t : clock->NowMs());
      },
      /*open_loopback=*/!secure && !token_key.has_value());
  n->audit_ = std::make_unique<AuditLog>(store, n->records_.get(), options.audit_commit_interval);
  n->access_ = std::make_unique<RecordsAccess>(n->records_.get(), store, n->audit_.get());
  n->records_grpc_ = std::make_unique<RecordsGrpc>(n->gate_.get(), n->access_.get(), store);
  n->records_grpc_->SetFollowLimits(n->cfg_.max_follow_streams_per_client(), idle);
  if (secure) {
    ILP_ASSIGN_OR_RETURN(n->verifier_,
                         CertVerifier::Create(n->cfg_.tls().ca_file(), n->cfg_.tls().crl_dir()));
  } else {
    spdlog::warn("INSECURE: node {} serves plaintext without peer authentication (insecure: true, "
                 "loopback only). Never use this with patient data.", n->cfg_.node_id());
  }
  if (!n->cfg_.parent_address().empty()) {
    SyncDialer* dialer = options.dialer;
    if (dialer == nullptr) {
      std::shared_ptr<grpc::ChannelCredentials> creds =
          secure ? NodeChannelCredentials(n->cfg_.tls(), n->verifier_.get(), trusted_time,
                                          ExpectedPeer{n->cfg_.parent_id()})
                 : grpc::InsecureChannelCredentials();
      const int backoff_ms = static_cast<int>(
          std::min<int64_t>(int64_t{n->cfg_.sync_interval_s()} * 1000, 300'000));
      n->dialer_ = std::make_unique<GrpcDialer>(n->cfg_.parent_address(), std::move(creds), 600,
                                                std::max(backoff_ms, 1000));
      dialer = n->dialer_.get();
    }
    n->replicator_ = std::make_unique<Replicator>(n->sync_.get(), dialer, random,
                                                  absl::Seconds(n->cfg_.sync_interval_s()));
  }
  n->admin_ = std::make_unique<AdminCore>(n->cfg_, n->store_.get(), n->sync_.get(),
                                          n->replicator_.get(), clock);
  if (secure) {
    // The node's own key signs its bundles and opens those sealed to it.
    bundle::NodeKeys keys{n->cfg_.node_id(), "", ""};
    ILP_ASSIGN_OR_RETURN(keys.cert_pem, pki::internal::ReadWholeFile(n->cfg_.tls().cert_file()));
    ILP_ASSIGN_OR_RETURN(keys.key_pem, pki::internal::ReadWholeFile(n->cfg_.tls().key_file()));
    n->bundles_ = std::make_unique<bundle::BundleDesk>(
        std::move(keys), n->verifier_.get(), n->sync_.get(), n->hlc_.get(),
        std::vector<std::string>(n->cfg_.working_area().begin(), n->cfg_.working_area().end()));
  }
  n->admin_grpc_ = std::make_unique<AdminGrpc>(n->admin_.get(), n->gate_.get(), n->records_.get(),
                                               store, n->cfg_.parent_address().empty(), n->bundles_.get());
  if (n->cfg_.has_satusehat()) {
    satusehat::HttpClient* http = options.satusehat_http;
    if (http == nullptr) {
      n->satusehat_http_ = std::make_unique<satusehat::CurlHttpClient>(
          n->cfg_.satusehat().ca_file(), absl::Seconds(n->cfg_.satusehat().timeout_s()));
      http = n->satusehat_http_.get();
    }
    n->exporter_ = std::make_unique<satusehat::Exporter>(n->cfg_, n->store_.get(), n->records_.get(),
                                                         clock, http);
    satusehat::Exporter* ex = n->exporter_.get();
    ex->SetExportedBelow([sync = n->sync_.get(), self = n->cfg_.node_id()]()
                             -> absl::StatusOr<std::map<std::string, std::string>> {
      ILP_ASSIGN_OR_RETURN(const auto exporters, sync->SatusehatExporters());
      std::map<std::string, std::string> below;
      for (const auto& [org, nodes] : exporters) {
        for (const std::string& node : nodes) {
          if (node != self) {
            below.emplace(org, node);
            break;
          }
        }
      }
      return below;
    });
    n->admin_->SetSatusehat([ex](int limit) { return ex->Status(limit); }, [ex] { return ex->RetryHeld(); });
  }

  grpc::EnableDefaultHealthCheckService(true);
  if (n->cfg_.enable_reflection()) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::ServerCredentials> server_creds = grpc::InsecureServerCredentials();
  if (secure) {
    server_creds = NodeServerCredentials(
        n->cfg_.tls(), std::make_shared<PeerAuthProcessor>(n->verifier_.get(), trusted_time));
  }
  builder.AddListeningPort(cfg.listen_address(), server_creds, &port);
  grpc::ResourceQuota quota("ilp-node");
  quota.SetMaxThreads(static_cast<int>(n->cfg_.max_server_threads()));
  builder.SetResourceQuota(quota);
  // gRPC's sync server keeps at most 2 threads waiting for calls by default:
  // with more calls at once, each worker that finishes one exits and another
  // is made for the next call (about 480 threads a second under 4 writers,
  // docs/performance.md "Write path"). A worker now goes back to waiting
  // instead; those idle for the completion queue's timeout (10 s) beyond the
  // first two still exit, and the quota above bounds them all.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              static_cast<int>(n->cfg_.max_server_threads()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 30'000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 10 * 60'000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 16);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);  // no probe pings on slow links
  builder.RegisterService(n->records_grpc_.get());
  builder.RegisterService(n->sync_grpc_.get());
  builder.RegisterService(n->admin_grpc_.get());
  builder.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  n->server_ = builder.BuildAndStart();
  if (!n->server_ || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("listen_address ", cfg.listen_address(), ": cannot listen (in use?)"));
  }
  for (const char* service : {"", "ilp.v1.Records", "ilp.v1.Admin", "ilp.v1.Sync"}) {
    n->server_->GetHealthCheckService()->SetServingStatus(service, true);
  }
  const std::string& la = cfg.listen_address();
  n->address_ = absl::StrCat(la.substr(0, la.rfind(':')), ":", port);
  if (!n->cfg_.metrics_listen().empty()) {
    ILP_ASSIGN_OR_RETURN(n->metrics_, MetricsServer::Start(n->cfg_.metrics_listen(), n->admin_.get()));
  }
  if (n->replicator_ && options.run_replicator) n->replicator_->Start();
  if (n->exporter_ && options.run_satusehat) n->exporter_->Start();
  return n;
}

void Node::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (metrics_) metrics_stopper_ = std::thread([m = std::move(metrics_)]() mutable { m.reset(); });
  if (replicator_) replicator_->Stop();
  if (exporter_) exporter_->Stop();
  if (records_grpc_) records_grpc_->BeginShutdown();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

void Node::Wait() {
  if (server_) server_->Wait();
  if (metrics_stopper_.joinable()) metrics_stopper_.join();
}

Node::~Node() {
  Shutdown();
  Wait();
}

}  // namespace ilp
