// A node's bundle desk (docs/bundles.md): writes a bundle for another node
// from its sync engine, imports one meant for it, and signs and takes the
// receipts that move the sender's cursors. The node does all crypto with its
// own key; callers (the Admin RPCs) only move bytes.
//
// Usage:
//   BundleDesk desk(keys, verifier, engine, hlc, cfg.working_area());
//   ILP_ASSIGN_OR_RETURN(BundleDesk::Exported e, desk.Export("pkm-1", pkm_cert_pem));
//   ILP_ASSIGN_OR_RETURN(BundleDesk::Imported i, other_desk.Import(e.file));
//   ILP_RETURN_IF_ERROR(desk.TakeReceipt(i.receipt).status());
#ifndef ILP_SERVICES_BUNDLE_BUNDLE_DESK_H_
#define ILP_SERVICES_BUNDLE_BUNDLE_DESK_H_

#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ilp/v1/bundle.pb.h"
#include "services/bundle/bundle_file.h"
#include "services/pki/verifier.h"
#include "services/replication/sync_engine.h"
#include "storage/clock/hlc.h"

namespace ilp::bundle {

// Largest whole bundle or receipt file a desk takes (a USB stick on FAT32
// holds files under 4 GiB; bundles are far smaller).
inline constexpr size_t kMaxBundleFileBytes = size_t{1} << 30;
// The batch bytes one volume carries at most: the file limit less room for
// the header, the certificates and the frames' overhead. A volume stops
// before the batch that would cross it (SyncEngine::BundleFor), and Export
// refuses a file over kMaxBundleFileBytes before recording it.
inline constexpr size_t kMaxVolumeBytes = kMaxBundleFileBytes - (size_t{32} << 20);

class BundleDesk {
 public:
  // All pointers must outlive the desk.
  BundleDesk(NodeKeys keys, const pki::CertVerifier* verifier, SyncEngine* engine, HybridClock* hlc,
             std::vector<std::string> working_area);

  struct Exported {
    std::string file;
    v1::BundleHeader header;
    size_t batches = 0;
    bool down = false;  // to a node in this node's subtree
  };
  // A bundle for node `to`, sealed to `recipient_cert_pem`, which must be a
  // valid node certificate of this district for `to` (UNAUTHENTICATED, or
  // INVALID_ARGUMENT naming "recipient certificate").
  // A volume of a split export: start after `after_cursor` (0: from what
  // `to` acknowledged) and stop once the batches reach `max_bytes` (0, or
  // more than a file may hold: kMaxVolumeBytes); header.more() says another
  // volume follows, from header.to_cursor().
  ABSL_MUST_USE_RESULT absl::StatusOr<Exported> Export(const std::string& to,
                                                       absl::string_view recipient_cert_pem,
                                                       uint64_t after_cursor = 0, uint64_t max_bytes = 0);

  struct Imported {
    v1::BundleHeader header;
    bool complete = false;
    std::string cut;                 // where a copy cut short stopped
    v1::BundleReceipt receipt_info;  // what was applied
    std::string receipt;             // the signed receipt file for the sender
  };
  // Verifies, decrypts and applies a bundle meant for this node (errors as
  // ReadBundle, with nothing applied; then SyncEngine::ImportBundle's).
  ABSL_MUST_USE_RESULT absl::StatusOr<Imported> Import(absl::string_view file);

  // Verifies a receipt file (signature, the importer's certificate) and
  // moves the cursor it acknowledges. Returns the receipt.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::BundleReceipt> TakeReceipt(absl::string_view file);

 private:
  int64_t TrustedUnixS() const;

  const NodeKeys keys_;
  const pki::CertVerifier* verifier_;
  SyncEngine* engine_;
  HybridClock* hlc_;
  const std::vector<std::string> area_;
};

// The receipt file: "ILPRCPT1", u32 length, BundleReceipt, u32 length,
// signature by `keys` (the importer). Fills importer and its certificate.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> WriteReceipt(v1::BundleReceipt receipt,
                                                              const NodeKeys& keys);
// Reads and verifies a receipt file at `trusted_unix_s`: INVALID_ARGUMENT for
// a file that is not one, UNAUTHENTICATED for a bad signature or an unknown,
// revoked or mismatched importer.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::BundleReceipt> ReadReceipt(absl::string_view file,
                                                                   const pki::CertVerifier& verifier,
                                                                   int64_t trusted_unix_s);

}  // namespace ilp::bundle

#endif  // ILP_SERVICES_BUNDLE_BUNDLE_DESK_H_
