// DIR/index.txt: one line per certificate the CA issued, tab-separated.
//
//   # serial  kind      id          not_after             status   revoked_at
//   5F0A...   node      pkm-oebobo  2028-03-01T10:00:00Z  valid    -
//   19C2...   operator  ana         2028-03-01T10:00:00Z  revoked  2026-11-23T08:00:00Z
//
// Lines starting with '#' are comments. The CRL is rebuilt from the revoked
// lines, so index.txt is the CA's record of truth.
#ifndef ILP_SERVICES_PKI_INTERNAL_INDEX_H_
#define ILP_SERVICES_PKI_INTERNAL_INDEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ilp::pki::internal {

struct IndexEntry {
  std::string serial_hex;  // canonical (CanonicalSerialHex)
  std::string kind;        // "node" or "operator"
  std::string id;
  int64_t not_after = 0;   // unix seconds
  bool revoked = false;
  int64_t revoked_at = 0;  // unix seconds; 0 unless revoked
};

// Parses index.txt text. INVALID_ARGUMENT naming `path` and the line number
// for a malformed line.
ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<IndexEntry>> ParseIndex(absl::string_view text, const std::string& path);

// The text of index.txt for `entries`, header comment included.
std::string FormatIndex(const std::vector<IndexEntry>& entries);

}  // namespace ilp::pki::internal

#endif  // ILP_SERVICES_PKI_INTERNAL_INDEX_H_
