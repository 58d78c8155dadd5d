#include "services/bundle/bundle_desk.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/bundle/bundle_crypto.h"
#include "spdlog/spdlog.h"
#include "storage/util/status_macros.h"

namespace ilp::bundle {
namespace {

constexpr absl::string_view kReceiptMagic = "ILPRCPT1";
constexpr absl::string_view kReceiptContext{"ilp-sync bundle receipt\0", 24};
constexpr uint32_t kMaxReceiptBytes = 64u << 10;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetU32(absl::string_view in, size_t* pos, uint32_t* v) {
  if (in.size() - *pos < 4) return false;
  *v = 0;
  for (int i = 0; i < 4; ++i) *v |= uint32_t{static_cast<unsigned char>(in[*pos + i])} << (8 * i);
  *pos += 4;
  return true;
}

std::string NewBundleId() {
  unsigned char id[16];
  randombytes_buf(id, sizeof(id));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(id), sizeof(id)));
}

}  // namespace

BundleDesk::BundleDesk(NodeKeys keys, const pki::CertVerifier* verifier, SyncEngine* engine,
                       HybridClock* hlc, std::vector<std::string> working_area)
    : keys_(std::move(keys)), verifier_(verifier), engine_(engine), hlc_(hlc),
      area_(std::move(working_area)) {}

int64_t BundleDesk::TrustedUnixS() const {
  const int64_t t = hlc_->TrustedNowMs();
  return t > 0 ? t / 1000 : -1;  // never learned: as for TLS peers (docs/security.md)
}

absl::StatusOr<BundleDesk::Exported> BundleDesk::Export(const std::string& to,
                                                         absl::string_view recipient_cert_pem,
                                                         uint64_t after_cursor, uint64_t max_bytes) {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  ILP_ASSIGN_OR_RETURN(const pki::PeerIdentity who, verifier_->Verify(recipient_cert_pem, "", TrustedUnixS()));
  if (who.kind != pki::PeerIdentity::kNode || who.id != to) {
    return absl::InvalidArgumentError(absl::StrCat("recipient certificate: is ", who.spiffe_id,
                                                   ", not node ", to));
  }
  if (max_bytes == 0 || max_bytes > kMaxVolumeBytes) max_bytes = kMaxVolumeBytes;
  ILP_ASSIGN_OR_RETURN(SyncEngine::BundleBatches b, engine_->BundleFor(to, after_cursor, max_bytes));
  v1::BundleHeader h;
  h.set_bundle_id(NewBundleId());
  h.set_sender_incarnation(b.incarnation);
  h.set_recipient(to);
  h.set_from_cursor(b.from);
  h.set_to_cursor(b.to);
  h.set_created_ms(hlc_->physical()->NowMs());
  for (const auto& a : area_) h.add_sender_area(a);
  h.set_batches(static_cast<uint32_t>(b.batches.size()));
  for (const v1::Batch& batch : b.batches) h.set_changes(h.changes() + batch.count());
  h.set_more(b.more);
  Exported out;
  ILP_ASSIGN_OR_RETURN(out.file, WriteBundle(h, b.batches, keys_, recipient_cert_pem));
  if (out.file.size() > kMaxBundleFileBytes) {
    // Not recorded: no node would import it, so it would await its receipt forever.
    return absl::ResourceExhaustedError(absl::StrCat("bundle file: ", out.file.size(), " bytes, over the ",
                                                     kMaxBundleFileBytes, " a node imports; export with a smaller "
                                                     "--volume-size"));
  }
  // The header as written (sender, certificate) for the receipt's match.
  h.set_sender(keys_.node_id);
  h.set_format_version(kFormatVersion);
  ILP_RETURN_IF_ERROR(engine_->RecordBundleOut(h));
  out.header = std::move(h);
  out.batches = b.batches.size();
  out.down = b.down;
  spdlog::info("bundle {} for {}: cursors ({}, {}], {} batches, {} bytes", out.header.bundle_id(), to,
               b.from, b.to, out.batches, out.file.size());
  return out;
}

absl::StatusOr<BundleDesk::Imported> BundleDesk::Import(absl::string_view file) {
  if (file.size() > kMaxBundleFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("bundle file: ", file.size(), " bytes, over the limit of ",
                                                   kMaxBundleFileBytes));
  }
  ILP_ASSIGN_OR_RETURN(OpenedBundle opened, ReadBundle(file, *verifier_, TrustedUnixS(), keys_));
  ILP_ASSIGN_OR_RETURN(const SyncEngine::BundleApplied applied,
                       engine_->ImportBundle(opened.header, opened.batches));
  Imported out;
  out.header = opened.header;
  out.complete = opened.complete;
  out.cut = opened.cut;
  v1::BundleReceipt& r = out.receipt_info;
  r.set_bundle_id(opened.header.bundle_id());
  r.set_sender(opened.header.sender());
  r.set_sender_incarnation(opened.header.sender_incarnation());
  r.set_from_cursor(opened.header.from_cursor());
  r.set_applied_to(opened.complete ? opened.header.to_cursor() : applied.applied_to);
  r.set_complete(opened.complete);
  r.set_batches_applied(applied.batches_applied);
  r.set_batches_already_had(applied.batches_already_had);
  r.set_changes(applied.changes);
  r.set_quarantined(applied.quarantined);
  r.set_created_ms(hlc_->physical()->NowMs());
  ILP_ASSIGN_OR_RETURN(out.receipt, WriteReceipt(r, keys_));
  r.set_importer(keys_.node_id);
  if (!opened.complete) {
    spdlog::warn("bundle {} from {}: {}", opened.header.bundle_id(), opened.header.sender(), opened.cut);
  }
  return out;
}

absl::StatusOr<v1::BundleReceipt> BundleDesk::TakeReceipt(absl::string_view file) {
  ILP_ASSIGN_OR_RETURN(v1::BundleReceipt r, ReadReceipt(file, *verifier_, TrustedUnixS()));
  ILP_RETURN_IF_ERROR(engine_->AcceptReceipt(r));
  spdlog::info("receipt of bundle {} from {}: cursors ({}, {}] acknowledged", r.bundle_id(), r.importer(),
               r.from_cursor(), r.applied_to());
  return r;
}

absl::StatusOr<std::string> WriteReceipt(v1::BundleReceipt receipt, const NodeKeys& keys) {
  receipt.set_importer(keys.node_id);
  receipt.set_importer_cert_pem(keys.cert_pem);
  ILP_ASSIGN_OR_RETURN(pki::internal::PkeyPtr key, internal::ParseP256Key(keys.key_pem, "own key"));
  const std::string body = receipt.SerializeAsString();
  ILP_ASSIGN_OR_RETURN(std::string sig, internal::Sign(key.get(), absl::StrCat(kReceiptContext, body)));
  std::string out(kReceiptMagic);
  PutU32(&out, static_cast<uint32_t>(body.size()));
  out += body;
  PutU32(&out, static_cast<uint32_t>(sig.size()));
  out += sig;
  return out;
}

absl::StatusOr<v1::BundleReceipt> ReadReceipt(absl::string_view file, const pki::CertVerifier& verifier,
                                              int64_t trusted_unix_s) {
  if (file.substr(0, kReceiptMagic.size()) != kReceiptMagic) {
    return absl::InvalidArgumentError("not an ilp-sync receipt (the file does not start with ILPRCPT1)");
  }
  size_t pos = kReceiptMagic.size();
  uint32_t body_len = 0, sig_len = 0;
  if (!GetU32(file, &pos, &body_len) || body_len > kMaxReceiptBytes || body_len > file.size() - pos) {
    return absl::InvalidArgumentError("receipt: length cut short or over 64 KiB");
  }
  const absl::string_view body = file.substr(pos, body_len);
  pos += body_len;
  if (!GetU32(file, &pos, &sig_len) || sig_len > 1024 || sig_len != file.size() - pos) {
    return absl::InvalidArgumentError("receipt signature: cut short, too long, or followed by other bytes");
  }
  const absl::string_view sig = file.substr(pos, sig_len);
  v1::BundleReceipt r;
  if (!r.ParseFromString(std::string(body))) return absl::InvalidArgumentError("receipt: does not parse");
  ILP_ASSIGN_OR_RETURN(const pki::PeerIdentity who,
                       verifier.Verify(r.importer_cert_pem(), r.importer_chain_pem(), trusted_unix_s));
  if (who.kind != pki::PeerIdentity::kNode || who.id != r.importer()) {
    return absl::UnauthenticatedError(absl::StrCat("receipt.importer: names ", r.importer(),
                                                   " but its certificate is ", who.spiffe_id));
  }
  ILP_ASSIGN_OR_RETURN(internal::ParsedCert cert, internal::ParseP256Cert(r.importer_cert_pem(), "receipt.importer_cert_pem"));
  if (!internal::Verify(cert.key, absl::StrCat(kReceiptContext, body), sig)) {
    return absl::UnauthenticatedError(absl::StrCat("receipt of bundle ", r.bundle_id(),
                                                   ": the signature of ", r.importer(), " does not verify"));
  }
  return r;
}

}  // namespace ilp::bundle
