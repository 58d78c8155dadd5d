// bundle export|import|receipt: bundles for data carried by hand
// (docs/bundles.md). The node does the crypto with its own key; ilpctl only
// moves the file's bytes over ilp.v1.Admin, so it may run on another machine.
#include <cstdio>
#include <iostream>
#include <memory>

#include "ilp/v1/admin.grpc.pb.h"
#include "services/ctl/commands.h"
#include "services/pki/internal/files.h"

namespace ilp::ctl {
namespace {

constexpr size_t kChunkBytes = 1u << 20;

struct Args {
  std::string to, cert, out, file, receipt_out;
  int deadline_s = 3600;
};

int LocalError(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "ilpctl: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
  return kError;
}

int Export(const Ctl& c, const Args& a) {
  v1::ExportBundleRequest req;
  req.set_to(a.to);
  absl::StatusOr<std::string> cert = pki::internal::ReadWholeFile(a.cert);
  if (!cert.ok()) return LocalError("--recipient-cert", cert.status());
  req.set_recipient_cert_pem(*cert);
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
  if (absl::Status s = pki::internal::WriteFileAtomic(a.out, file, 0600, /*no_replace=*/true); !s.ok()) {
    return LocalError("--out", s);
  }
  const v1::BundleHeader& h = last.header();
  if (c.json) {
    std::cout << Json(last) << "\n";
  } else {
    std::printf("bundle %s for %s written to %s: %u batches, cursors (%llu, %llu], %s\n",
                h.bundle_id().c_str(), h.recipient().c_str(), a.out.c_str(), last.batches(),
                static_cast<unsigned long long>(h.from_cursor()),
                static_cast<unsigned long long>(h.to_cursor()), Bytes(file.size()).c_str());
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

}  // namespace

void AddBundleCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto* b = app->add_subcommand("bundle", "bundles: sync data carried by hand (docs/bundles.md)");
  b->require_subcommand(1);
  auto* e = b->add_subcommand("export", "write what node --to lacks from this node into --out");
  e->add_option("--to", a->to, "the recipient node id")->required();
  e->add_option("--recipient-cert", a->cert, "the recipient's node certificate (PEM)")->required();
  e->add_option("--out", a->out, "the bundle file to create (never replaced)")->required();
  e->add_option("--deadline", a->deadline_s, "seconds the export may take")->capture_default_str();
  e->callback([a, run] { *run = [a](const Ctl& c) { return Export(c, *a); }; });
  auto* i = b->add_subcommand("import", "apply a bundle meant for this node; writes the receipt");
  i->add_option("FILE", a->file, "the bundle file")->required();
  i->add_option("--receipt-out", a->receipt_out, "where to write the receipt (default FILE.receipt)");
  i->add_option("--deadline", a->deadline_s, "seconds the import may take")->capture_default_str();
  i->callback([a, run] { *run = [a](const Ctl& c) { return Import(c, *a); }; });
  auto* r = b->add_subcommand("receipt", "receipts of this node's bundles");
  r->require_subcommand(1);
  auto* ri = r->add_subcommand("import", "take a receipt: the importer holds the bundle's range");
  ri->add_option("FILE", a->file, "the receipt file")->required();
  ri->callback([a, run] { *run = [a](const Ctl& c) { return Receipt(c, *a); }; });
}

}  // namespace ilp::ctl
