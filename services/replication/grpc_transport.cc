#include "services/replication/grpc_transport.h"

#include <chrono>

#include "services/common/grpc_status.h"

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

class GrpcServerStream : public SyncStream {
 public:
  explicit GrpcServerStream(grpc::ServerReaderWriter<v1::SyncMessage, v1::SyncMessage>* s) : s_(s) {}
  bool Read(v1::SyncMessage* m) override { return s_->Read(m); }
  bool Write(const v1::SyncMessage& m) override { return s_->Write(m); }

 private:
  grpc::ServerReaderWriter<v1::SyncMessage, v1::SyncMessage>* s_;
};

}  // namespace

GrpcDialer::GrpcDialer(const std::string& address, int session_timeout_s)
    : stub_(v1::Sync::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
      timeout_s_(session_timeout_s) {}

std::unique_ptr<ClientSyncStream> GrpcDialer::Open() {
  return std::make_unique<GrpcClientStream>(stub_.get(), timeout_s_);
}

grpc::Status SyncGrpc::Session(grpc::ServerContext*,
                               grpc::ServerReaderWriter<v1::SyncMessage, v1::SyncMessage>* stream) {
  GrpcServerStream s(stream);
  return ToGrpcStatus(engine_->ServeChildSession(&s));
}

}  // namespace ilp
