// bundle export|import|receipt: bundles for data carried by hand
// (docs/bundles.md). The node does the crypto with its own key; ilpctl only
// moves the file's bytes over ilp.v1.Admin, so it may run on another machine.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "services/bundle/bundle_file.h"
#include "services/ctl/commands.h"
#include "services/pki/internal/files.h"

namespace ilp::ctl {
namespace {

constexpr size_t kChunkBytes = 1u << 20;

struct Args {
  std::string to, cert, out, file, receipt_out, ca, crl_dir;
  uint64_t volume_bytes = 0;  // 0: the node's limit for one file
  uint64_t after = 0;         // 0: from what the recipient acknowledged
  int deadline_s = 3600;
};

// Volume n of --out: the first is --out itself, then "mawar-2.ilpb", ...
std::string VolumePath(const std::string& out, int n) {
  if (n == 1) return out;
  const std::filesystem::path p(out);
  return (p.parent_path() / absl::StrCat(p.stem().string(), "-", n, p.extension().string())).string();
}

int LocalError(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "ilpctl: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
  return kError;
}

// One volume: the node writes the bundle for (after, ...] up to the volume
// size; ilpctl stores it at `path`. `more` says whether another follows.
int ExportVolume(const Ctl& c, const Args& a, const std::string& cert, const std::string& path,
                 uint64_t* after, bool* more) {
  // Checked first too, so the node does not record a bundle nobody carries
  // (it would show in `ilpctl status` as awaiting its receipt).
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::fprintf(stderr, "ilpctl: --out: %s exists; a bundle never replaces a file\n", path.c_str());
    return kError;
  }
  v1::ExportBundleRequest req;
  req.set_to(a.to);
  req.set_recipient_cert_pem(cert);
  req.set_after_cursor(*after);
  req.set_max_bytes(a.volume_bytes);
  std::unique_ptr<grpc::ClientContext> ctx = c.Ctx(a.deadline_s);
  auto reader = v1::Admin::NewStub(c.channel)->ExportBundle(ctx.get(), req);
  std::string file;
  v1::BundleChunk chunk, last;
  while (reader->Read(&chunk)) {
    file += chunk.data();
    if (chunk.has_header()) last = chunk;
  }
  grpc::Status gs = reader->Finish();
  if (!gs.ok()) return Fail(gs);
  if (!last.has_header()) {
    std::fprintf(stderr, "ilpctl: the node ended the export without its header; nothing written\n");
    return kError;
  }
  // Mode 0600, never over an existing file: a bundle holds patient data.
  if (absl::Status s = pki::internal::WriteFileAtomic(path, file, 0600, /*no_replace=*/true); !s.ok()) {
    return LocalError("--out", s);
  }
  const v1::BundleHeader& h = last.header();
  if (c.json) {
    std::cout << Json(last) << "\n";
  } else {
    std::printf("bundle %s for %s written to %s: %u batches, cursors (%llu, %llu], %s%s\n",
                h.bundle_id().c_str(), h.recipient().c_str(), path.c_str(), last.batches(),
                static_cast<unsigned long long>(h.from_cursor()),
                static_cast<unsigned long long>(h.to_cursor()), Bytes(file.size()).c_str(),
                h.more() ? "; more follows in the next volume" : "");
  }
  *after = h.to_cursor();
  *more = h.more();
  return kOk;
}

int Export(const Ctl& c, const Args& a) {
  absl::StatusOr<std::string> cert = pki::internal::ReadWholeFile(a.cert);
  if (!cert.ok()) return LocalError("--recipient-cert", cert.status());
  uint64_t after = a.after;
  bool more = true;
  int n = 0;
  while (more) {
    if (int rc = ExportVolume(c, a, *cert, VolumePath(a.out, ++n), &after, &more); rc != kOk) {
      if (n > 1) {
        std::fprintf(stderr,
                     "ilpctl: volumes 1-%d are written and cover cursors up to %llu; to write the rest, run "
                     "the export again with --after %llu and a new --out\n",
                     n - 1, static_cast<unsigned long long>(after), static_cast<unsigned long long>(after));
      }
      return rc;
    }
  }
  if (n > 1 && !c.json) {
    std::printf("%d volumes: carry them all; import each (any order) and bring back every receipt\n", n);
  }
  return kOk;
}

int Import(const Ctl& c, const Args& a) {
  absl::StatusOr<std::string> file = pki::internal::ReadWholeFile(a.file);
  if (!file.ok()) return LocalError("FILE", file.status());
  std::unique_ptr<grpc::ClientContext> ctx = c.Ctx(a.deadline_s);
  v1::ImportBundleResponse resp;
  auto writer = v1::Admin::NewStub(c.channel)->ImportBundle(ctx.get(), &resp);
  v1::BundleChunk chunk;
  for (size_t at = 0; at < file->size(); at += kChunkBytes) {
    chunk.set_data(file->substr(at, std::min(kChunkBytes, file->size() - at)));
    if (!writer->Write(chunk)) break;  // Finish says why
  }
  writer->WritesDone();
  grpc::Status gs = writer->Finish();
  if (!gs.ok()) return Fail(gs);
  const std::string receipt_path = a.receipt_out.empty() ? a.file + ".receipt" : a.receipt_out;
  absl::Status saved = pki::internal::WriteFileAtomic(receipt_path, resp.receipt(), 0644, /*no_replace=*/false);
  const v1::BundleReceipt& r = resp.applied();
  if (c.json) {
    std::cout << Json(resp.applied()) << "\n";
  } else {
    std::printf("bundle %s from %s: applied %u batches (%llu changes), already had %u, quarantined %llu\n",
                r.bundle_id().c_str(), r.sender().c_str(), r.batches_applied(),
                static_cast<unsigned long long>(r.changes()), r.batches_already_had(),
                static_cast<unsigned long long>(r.quarantined()));
    if (saved.ok()) {
      std::printf("receipt written to %s: carry it back to %s (ilpctl bundle receipt import)\n",
                  receipt_path.c_str(), r.sender().c_str());
    }
  }
  if (!saved.ok()) return LocalError("receipt not written (import again to remake it)", saved);
  if (!r.complete()) {
    std::fprintf(stderr,
                 "ilpctl: CUT SHORT: %s. The whole batches before the cut are applied (up to cursor "
                 "%llu); import a whole copy of the bundle to complete it.\n",
                 resp.cut().c_str(), static_cast<unsigned long long>(r.applied_to()));
    return kCutShort;
  }
  return kOk;
}

int Receipt(const Ctl& c, const Args& a) {
  absl::StatusOr<std::string> file = pki::internal::ReadWholeFile(a.file);
  if (!file.ok()) return LocalError("FILE", file.status());
  v1::ImportReceiptRequest req;
  req.set_receipt(*file);
  v1::BundleReceipt r;
  std::unique_ptr<grpc::ClientContext> ctx = c.Ctx();
  grpc::Status gs = v1::Admin::NewStub(c.channel)->ImportReceipt(ctx.get(), req, &r);
  if (!gs.ok()) return Fail(gs);
  if (c.json) {
    std::cout << Json(r) << "\n";
  } else {
    std::printf("receipt of bundle %s: %s holds cursors (%llu, %llu]%s\n", r.bundle_id().c_str(),
                r.importer().c_str(), static_cast<unsigned long long>(r.from_cursor()),
                static_cast<unsigned long long>(r.applied_to()),
                r.complete() ? "" : " (a copy cut short: export again for the rest)");
  }
  return kOk;
}

// Offline: what the file says and whether its sender signed it. Frames stay
// sealed (only the recipient's key opens them), so nothing is applied.
int Inspect(const Ctl& c, const Args& a) {
  absl::StatusOr<std::string> file = pki::internal::ReadWholeFile(a.file);
  if (!file.ok()) return LocalError("FILE", file.status());
  std::unique_ptr<pki::CertVerifier> verifier;
  const std::string& ca = a.ca.empty() ? c.ca_file : a.ca;
  if (!ca.empty()) {
    absl::StatusOr<std::unique_ptr<pki::CertVerifier>> v = pki::CertVerifier::Create(ca, a.crl_dir);
    if (!v.ok()) return LocalError("--ca", v.status());
    verifier = std::move(*v);
  }
  // The operator's clock judges the sender's certificate, as for TLS.
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  absl::StatusOr<bundle::BundleSummary> s = bundle::InspectBundle(*file, verifier.get(), now_s);
  if (!s.ok()) return LocalError("FILE", s.status());
  const v1::BundleHeader& h = s->header;
  const std::string signature =
      s->sender.ok() ? absl::StrCat("valid (", s->sender->spiffe_id, ")")
                     : std::string(verifier ? "INVALID: " : "") + std::string(s->sender.status().message());
  const std::string state =
      s->whole() ? "whole"
                 : absl::StrCat("CUT SHORT or altered: ", s->frames, " whole frames of ", h.batches() + 1,
                                s->ends_on_frame ? "" : ", then a partial one");
  if (c.json) {
    v1::BundleHeader shown = h;
    shown.clear_sender_cert_pem();
    shown.clear_sender_chain_pem();
    shown.clear_ephemeral_public_key();
    shown.clear_stream_header();
    std::cout << "{\"header\":" << Json(shown) << ",\"bytes\":" << s->bytes << ",\"frames\":" << s->frames
              << ",\"whole\":" << (s->whole() ? "true" : "false") << ",\"signature_valid\":"
              << (s->sender.ok() ? "true" : "false") << "}\n";
  } else {
    std::printf("bundle     %s (format %u)\n", h.bundle_id().c_str(), h.format_version());
    std::printf("sender     %s, incarnation %s\n", h.sender().c_str(), h.sender_incarnation().c_str());
    std::printf("recipient  %s\n", h.recipient().c_str());
    std::printf("range      cursors (%llu, %llu]\n", static_cast<unsigned long long>(h.from_cursor()),
                static_cast<unsigned long long>(h.to_cursor()));
    std::printf("content    %u batches, %llu changes, %s\n", h.batches(),
                static_cast<unsigned long long>(h.changes()), Bytes(s->bytes).c_str());
    std::printf("created    %s\n", Time(h.created_ms()).c_str());
    std::printf("file       %s\n", state.c_str());
    std::printf("signature  %s\n", signature.c_str());
  }
  if (verifier && !s->sender.ok()) return kError;
  return s->whole() ? kOk : kCutShort;
}

}  // namespace

void AddBundleCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto* b = app->add_subcommand("bundle", "bundles: sync data carried by hand (docs/bundles.md)");
  b->require_subcommand(1);
  auto* e = b->add_subcommand("export", "write what node --to lacks from this node into --out");
  e->add_option("--for,--to", a->to, "the recipient node id")->required();
  e->add_option("--recipient-cert", a->cert, "the recipient's node certificate (PEM)")->required();
  e->add_option("--out", a->out, "the bundle file to create (never replaced); further volumes are named "
                 "FILE-2.ext, FILE-3.ext, ...")->required();
  e->add_option("--volume-size", a->volume_bytes,
                "split into volumes of at most about this size, e.g. 500M (default and most: 992M, what a "
                "node takes in one file; FAT32 holds files under 4G)")
      ->transform(CLI::AsSizeValue(false));
  e->add_option("--after", a->after,
                "start after this cursor of this node's log (to resume a split export; default: what the "
                "recipient acknowledged)");
  e->add_option("--deadline", a->deadline_s, "seconds the export may take")->capture_default_str();
  e->callback([a, run] { *run = [a](const Ctl& c) { return Export(c, *a); }; });
  auto* i = b->add_subcommand("import", "apply a bundle meant for this node; writes the receipt");
  i->add_option("FILE", a->file, "the bundle file")->required();
  i->add_option("--receipt-out", a->receipt_out, "where to write the receipt (default FILE.receipt)");
  i->add_option("--deadline", a->deadline_s, "seconds the import may take")->capture_default_str();
  i->callback([a, run] { *run = [a](const Ctl& c) { return Import(c, *a); }; });
  auto* n = b->add_subcommand("inspect", "show a bundle's header, range, size and signature; applies nothing");
  n->add_option("FILE", a->file, "the bundle file")->required();
  n->add_option("--ca", a->ca, "district CA certificate(s) to check the signature with (default: ilpctl --ca)");
  n->add_option("--crl-dir", a->crl_dir, "hashed CRL directory (ilpctl pki: DIR/crl)");
  n->callback([a, run] { *run = [a](const Ctl& c) { return Inspect(c, *a); }; });
  auto* r = b->add_subcommand("receipt", "receipts of this node's bundles");
  r->require_subcommand(1);
  auto* ri = r->add_subcommand("import", "take a receipt: the importer holds the bundle's range");
  ri->add_option("FILE", a->file, "the receipt file")->required();
  ri->callback([a, run] { *run = [a](const Ctl& c) { return Receipt(c, *a); }; });
}

}  // namespace ilp::ctl
