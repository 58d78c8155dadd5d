// Meta keys of the sync engine's stored state (see storage/store/keys.h for
// the column families). Internal to services/replication.
#ifndef ILP_SERVICES_REPLICATION_META_KEYS_H_
#define ILP_SERVICES_REPLICATION_META_KEYS_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace ilp::sync_meta {

inline constexpr char kDownCursor[] = "cursor/down";            // parent seq applied here
inline constexpr char kReportPrefix[] = "report/";              // + node id: StoredReport
inline constexpr char kReportRxSeq[] = "reports-rx-seq";        // last receipt counter used
inline constexpr char kReportSentSeq[] = "reports-sent-seq";    // relayed up to this receipt
inline constexpr char kUpAcked[] = "acked/up";                  // up cursor the parent acknowledged
inline constexpr char kParentIncarnation[] = "incarnation/parent";

// A child's seq applied here (up direction).
inline std::string UpCursorKey(const std::string& child) { return absl::StrCat("cursor/up/", child); }
// Our change-log seq the child acknowledged (down direction), as we recorded it.
inline std::string DownAckedKey(const std::string& child) { return absl::StrCat("acked/down/", child); }
// Bundles (docs/bundles.md). Our change-log seq an ancestor's receipt
// acknowledged: the up phase of a session starts no lower.
inline constexpr char kBundleUpAcked[] = "bundle/acked-up";
// Our seq a descendant acknowledged by the receipt of a return bundle.
inline std::string BundleDownAckedKey(const std::string& node) {
  return absl::StrCat("bundle/acked-down/", node);
}
// The range "base:end" of the sender's change log (that store incarnation)
// applied here from bundles: (base, end] (import dedup).
inline std::string BundleInKey(const std::string& sender, const std::string& incarnation) {
  return absl::StrCat("bundle/in/", sender, "/", incarnation);
}
// A bundle this node wrote (BundleHeader without certificates), and the
// applied_to of its receipt once one came back.
inline std::string BundleOutKey(const std::string& id) { return absl::StrCat("bundle/out/", id); }
inline std::string BundleReceiptedKey(const std::string& id) {
  return absl::StrCat("bundle/receipted/", id);
}
// A node this node wrote an up bundle to (an ancestor by the operator's choice).
inline std::string BundleAncestorKey(const std::string& node) {
  return absl::StrCat("bundle/ancestor/", node);
}
// The working area a descendant declared in its last imported bundle.
inline std::string BundleAreaKey(const std::string& node) { return absl::StrCat("bundle/area/", node); }

// What this node knows of a peer: PeerState.
inline std::string PeerKey(const std::string& node) { return absl::StrCat("peer/", node); }

}  // namespace ilp::sync_meta

#endif  // ILP_SERVICES_REPLICATION_META_KEYS_H_
