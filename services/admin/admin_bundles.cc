// The bundle calls of ilp.v1.Admin (docs/bundles.md): bytes in and out in
// chunks; the node's BundleDesk does the crypto with the node's own key.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/admin/admin_grpc.h"
#include "services/common/grpc_status.h"
#include "services/security/call_auth.h"

namespace ilp {
namespace {

constexpr size_t kChunkBytes = 1u << 20;

grpc::Status NoDesk() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "bundles need the node's tls block: its node key signs and opens them");
}

// The header without certificates and key material, for a caller to show.
v1::BundleHeader Shown(v1::BundleHeader h) {
  h.clear_sender_cert_pem();
  h.clear_sender_chain_pem();
  h.clear_ephemeral_public_key();
  h.clear_stream_header();
  return h;
}

}  // namespace

grpc::Status AdminGrpc::ExportBundle(grpc::ServerContext* ctx, const v1::ExportBundleRequest* req,
                                     grpc::ServerWriter<v1::BundleChunk>* writer) {
  if (absl::StatusOr<auth::Caller> who = AdmitCall(*gate_, *ctx, "Admin.ExportBundle"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  if (desk_ == nullptr) return NoDesk();
  absl::StatusOr<bundle::BundleDesk::Exported> e = desk_->Export(req->to(), req->recipient_cert_pem(), req->after_cursor(), req->max_bytes());
  if (!e.ok()) return ToGrpcStatus(e.status());
  v1::BundleChunk chunk;
  for (size_t at = 0; at < e->file.size(); at += kChunkBytes) {
    chunk.set_data(e->file.substr(at, std::min(kChunkBytes, e->file.size() - at)));
    if (ctx->IsCancelled() || !writer->Write(chunk)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "the caller went away during the export");
    }
  }
  chunk.Clear();
  *chunk.mutable_header() = Shown(e->header);
  chunk.set_batches(static_cast<uint32_t>(e->batches));
  if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "the caller went away");
  return grpc::Status::OK;
}

grpc::Status AdminGrpc::ImportBundle(grpc::ServerContext* ctx, grpc::ServerReader<v1::BundleChunk>* reader,
                                     v1::ImportBundleResponse* resp) {
  if (absl::StatusOr<auth::Caller> who = AdmitCall(*gate_, *ctx, "Admin.ImportBundle"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  if (desk_ == nullptr) return NoDesk();
  std::string file;
  v1::BundleChunk chunk;
  while (reader->Read(&chunk)) {
    if (chunk.data().size() > bundle::kMaxBundleFileBytes - file.size()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("bundle file: over the limit of ", bundle::kMaxBundleFileBytes, " bytes"));
    }
    file += chunk.data();
  }
  absl::StatusOr<bundle::BundleDesk::Imported> in = desk_->Import(file);
  if (!in.ok()) return ToGrpcStatus(in.status());
  *resp->mutable_header() = Shown(in->header);
  *resp->mutable_applied() = in->receipt_info;
  resp->mutable_applied()->clear_importer_cert_pem();
  resp->set_cut(in->cut);
  resp->set_receipt(in->receipt);
  return grpc::Status::OK;
}

grpc::Status AdminGrpc::ImportReceipt(grpc::ServerContext* ctx, const v1::ImportReceiptRequest* req,
                                      v1::BundleReceipt* resp) {
  if (absl::StatusOr<auth::Caller> who = AdmitCall(*gate_, *ctx, "Admin.ImportReceipt"); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  if (desk_ == nullptr) return NoDesk();
  absl::StatusOr<v1::BundleReceipt> r = desk_->TakeReceipt(req->receipt());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  resp->clear_importer_cert_pem();
  resp->clear_importer_chain_pem();
  return grpc::Status::OK;
}

}  // namespace ilp
