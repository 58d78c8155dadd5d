#include "services/replication/grpc_transport.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/common/grpc_status.h"
#include "services/common/idle_watchdog.h"
#include "services/security/credentials.h"
#include "services/security/peer_auth.h"

namespace ilp {
namespace {

class GrpcClientStream : public ClientSyncStream {
 public:
  GrpcClientStream(v1::Sync::Stub* stub, int timeout_s) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s));
    rw_ = stub->Session(&ctx_);
  }
  bool Read(v1::SyncMessage* m) override {
    const bool ok = rw_->Read(m);
    read_ended_ |= !ok;
    return ok;
  }
  bool Write(const v1::SyncMessage& m) override { return rw_->Write(m); }
  void WritesDone() override {
    if (!writes_done_) rw_->WritesDone();
    writes_done_ = true;
  }
  absl::Status Finish() override {
    if (!finished_) {
      // Abandoning a session the parent is still running: cancel it. If the
      // parent already ended it, keep its status (e.g. PERMISSION_DENIED).
      if (!writes_done_ && !read_ended_) ctx_.TryCancel();
      status_ = FromGrpcStatus(rw_->Finish());
      finished_ = true;
    }
    return status_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::SyncMessage, v1::SyncMessage>> rw_;
  bool writes_done_ = false, finished_ = false, read_ended_ = false;
  absl::Status status_;
};

// The parent's end. Every message moved is activity for the idle watchdog.
class GrpcServerStream : public SyncStream {
 public:
  // `lease` starts with a short limit for the Hello; after the first
  // message the session gets `idle`.
  GrpcServerStream(grpc::ServerReaderWriter<v1::SyncMessage, v1::SyncMessage>* s,
                   IdleWatchdog::Lease* lease, absl::Duration idle)
      : s_(s), lease_(lease), idle_(idle) {}
  bool Read(v1::SyncMessage* m) override {
    const bool ok = s_->Read(m);
    if (!greeted_) {
      lease_->SetIdle(idle_);
      greeted_ = true;
    }
    lease_->Touch();
    return ok;
  }
  bool Write(const v1::SyncMessage& m) override {
    const bool ok = s_->Write(m);
    lease_->Touch();
    return ok;
  }

 private:
  grpc::ServerReaderWriter<v1::SyncMessage, v1::SyncMessage>* s_;
  IdleWatchdog::Lease* lease_;
  const absl::Duration idle_;
  bool greeted_ = false;
};

}  // namespace

GrpcDialer::GrpcDialer(const std::string& address, std::shared_ptr<grpc::ChannelCredentials> creds,
                       int session_timeout_s, int max_reconnect_backoff_ms)
    : timeout_s_(session_timeout_s) {
  grpc::ChannelArguments args;
  SetClientChannelArgs(&args, max_reconnect_backoff_ms);
  channel_ = grpc::CreateCustomChannel(address, std::move(creds), args);
  stub_ = v1::Sync::NewStub(channel_);
}

std::unique_ptr<ClientSyncStream> GrpcDialer::Open() {
  // A channel in backoff after a failure would fail this session at once
  // although the parent may be back: the replicator owns the retry schedule,
  // so reset gRPC's own backoff and try to connect now.
  if (channel_->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_TRANSIENT_FAILURE) {
    grpc::experimental::ChannelResetConnectionBackoff(channel_.get());
    channel_->WaitForStateChange(GRPC_CHANNEL_TRANSIENT_FAILURE,
                                 std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  return std::make_unique<GrpcClientStream>(stub_.get(), timeout_s_);
}

grpc::Status SyncGrpc::Session(grpc::ServerContext* ctx,
                               grpc::ServerReaderWriter<v1::SyncMessage, v1::SyncMessage>* stream) {
  SessionPeer peer;
  if (authenticate_) {
    std::optional<PeerIdentity> who = AuthenticatedPeer(*ctx);
    if (!who) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "sync needs a node certificate");
    if (who->kind != PeerIdentity::kNode) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "sync is for nodes; an operator certificate cannot open a session");
    }
    peer.node_id = who->id;
    peer.authenticated = true;
    absl::MutexLock l(&mu_);
    if (!open_.insert(peer.node_id).second) {
      return grpc::Status(grpc::StatusCode::ABORTED,
                          absl::StrCat("node ", peer.node_id,
                                       " already has a sync session open; retry later"));
    }
  }
  struct Close {
    SyncGrpc* self;
    const SessionPeer& peer;
    ~Close() {
      if (!peer.authenticated) return;
      absl::MutexLock l(&self->mu_);
      self->open_.erase(peer.node_id);
    }
  } close{this, peer};
  // A session that does not say Hello within 15 s (or the idle timeout, if
  // shorter) is ended: silent sessions cannot hold the server's threads.
  std::unique_ptr<IdleWatchdog::Lease> lease =
      IdleWatchdog::Global().Watch(ctx, std::min(idle_, absl::Seconds(15)));
  GrpcServerStream s(stream, lease.get(), idle_);
  return ToGrpcStatus(engine_->ServeChildSession(&s, peer));
}

}  // namespace ilp
