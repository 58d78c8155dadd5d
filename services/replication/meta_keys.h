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
// What this node knows of a peer: PeerState.
inline std::string PeerKey(const std::string& node) { return absl::StrCat("peer/", node); }

}  // namespace ilp::sync_meta

#endif  // ILP_SERVICES_REPLICATION_META_KEYS_H_
