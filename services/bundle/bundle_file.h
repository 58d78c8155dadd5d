// The bundle file: a sync direction's batches, signed by the sender's node
// key and sealed to one recipient, for data carried by hand (docs/bundles.md).
//
// This layer writes and reads files; it applies nothing. A reader gets the
// verified sender and the batches in order, and learns whether the file was
// whole: a copy cut short yields the complete frames before the cut, while
// any altered byte fails the whole read, so a caller applies all or nothing
// of what it was given.
//
// Usage:
//   ILP_ASSIGN_OR_RETURN(std::string file, WriteBundle(header, batches, me, recipient_cert_pem));
//   ...
//   ILP_ASSIGN_OR_RETURN(OpenedBundle b, ReadBundle(file, verifier, trusted_s, me));
//   if (!b.complete) LOG << b.cut;
#ifndef ILP_SERVICES_BUNDLE_BUNDLE_FILE_H_
#define ILP_SERVICES_BUNDLE_BUNDLE_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ilp/v1/bundle.pb.h"
#include "services/pki/verifier.h"

namespace ilp::bundle {

inline constexpr uint32_t kFormatVersion = 1;
// Largest frame a reader accepts (a batch is capped far below this).
inline constexpr uint32_t kMaxFrameBytes = 32u << 20;
// Largest header or signature a reader accepts.
inline constexpr uint32_t kMaxHeaderBytes = 256u << 10;

// A node's own certificate and private key (PEM), as in its tls block.
struct NodeKeys {
  std::string node_id;
  std::string cert_pem;
  std::string key_pem;
};

// Writes a bundle of `batches` (in order) from `sender` to the holder of
// `recipient_cert_pem`. `header` gives bundle_id, sender_incarnation,
// recipient, from_cursor, to_cursor and created_ms; the rest is filled in.
// INVALID_ARGUMENT naming the field for a missing id, a sender key that does
// not match its certificate, a recipient certificate that is not P-256, or
// a batch cursor outside (from_cursor, to_cursor] or not increasing.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> WriteBundle(v1::BundleHeader header,
                                                             const std::vector<v1::Batch>& batches,
                                                             const NodeKeys& sender,
                                                             absl::string_view recipient_cert_pem);

struct OpenedBundle {
  v1::BundleHeader header;
  pki::PeerIdentity sender;        // verified against the district CA
  std::vector<v1::Batch> batches;  // authenticated, in the sender's order
  bool complete = false;           // the trailer was read: nothing is missing
  // When !complete: how far the file got, e.g. "cut short after batch 3
  // (cursor 120) at byte 40960 of 40990".
  std::string cut;
};

// Reads and verifies a bundle meant for `me`, judging certificates at
// `trusted_unix_s` (pki::CertVerifier::Verify). Errors, with nothing returned:
//   INVALID_ARGUMENT: not a bundle, or a header or frame over its limit;
//   FAILED_PRECONDITION: a format version or required feature this reader
//     does not know, or a bundle for another node or another certificate;
//   UNAUTHENTICATED: an unknown, expired or revoked sender, or a header
//     signature that does not verify;
//   DATA_LOSS: a frame that does not authenticate, bytes after the trailer,
//     or a trailer that disagrees with the frames (the file was altered).
// A file cut short is not an error: `complete` is false and `cut` says where.
ABSL_MUST_USE_RESULT absl::StatusOr<OpenedBundle> ReadBundle(absl::string_view file,
                                                             const pki::CertVerifier& verifier,
                                                             int64_t trusted_unix_s,
                                                             const NodeKeys& me);

// What can be told of a bundle without its recipient's key: the header, the
// sealed frames present, and the sender's signature. Applies nothing.
struct BundleSummary {
  v1::BundleHeader header;
  uint64_t bytes = 0;
  // Whole sealed frames in the file (a whole bundle has header.batches()
  // batch frames and a trailer) and whether the file ends on a frame's end.
  uint64_t frames = 0;
  bool ends_on_frame = false;
  bool whole() const { return ends_on_frame && frames == uint64_t{header.batches()} + 1; }
  // The sender as verified against the district CA at the given time, or
  // why it could not be (not checked when no verifier was given).
  absl::StatusOr<pki::PeerIdentity> sender = absl::FailedPreconditionError("not checked: no CA given");
};

// Reads a bundle's header, checks its signature when `verifier` is given,
// and walks its frames without opening them. INVALID_ARGUMENT for a file that
// is not a bundle or a header cut short; everything else is in the summary.
ABSL_MUST_USE_RESULT absl::StatusOr<BundleSummary> InspectBundle(absl::string_view file,
                                                                 const pki::CertVerifier* verifier,
                                                                 int64_t trusted_unix_s);

}  // namespace ilp::bundle

#endif  // ILP_SERVICES_BUNDLE_BUNDLE_FILE_H_
