// Names in the district PKI: the rules for district, node and operator names,
// the SPIFFE IDs certificates carry, and time formatting for messages.
//
//   CA certificate:        URI SAN spiffe://<district>
//   node certificate:      URI SAN spiffe://<district>/node/<node_id>
//   operator certificate:  URI SAN spiffe://<district>/operator/<name>
//
// Example:
//   absl::StatusOr<SpiffeId> id = ParseSpiffeId("spiffe://kupang/node/pkm-oebobo");
//   // id->district == "kupang", id->kind == SpiffeId::kNode, id->id == "pkm-oebobo"
#ifndef ILP_SERVICES_PKI_IDENTITY_H_
#define ILP_SERVICES_PKI_IDENTITY_H_

#include <cstdint>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ilp::pki {

// OK if `district` is a DNS-label-like token: 1-63 of [a-z0-9-], not starting
// or ending with '-'. Else INVALID_ARGUMENT naming `--district` and the rule.
ABSL_MUST_USE_RESULT absl::Status ValidateDistrict(absl::string_view district);

// OK if `id` is 1-64 of letters, digits, '-', '_', '.' (and not "." or "..").
// Else INVALID_ARGUMENT naming `flag` (e.g. "--node-id", "--name") and the rule.
ABSL_MUST_USE_RESULT absl::Status ValidateName(absl::string_view id, absl::string_view flag);

// A --host value as it goes into a certificate's subjectAltName.
struct HostSan {
  bool is_ip = false;
  std::string value;  // lowercase DNS name, or the IP literal without brackets
};

// An IPv4/IPv6 literal ("[::1]" accepted) or a DNS name (labels of
// [A-Za-z0-9-], optional leading "*."; at most 253 chars). INVALID_ARGUMENT
// naming `--host` otherwise.
ABSL_MUST_USE_RESULT absl::StatusOr<HostSan> ParseHost(absl::string_view host);

struct SpiffeId {
  enum Kind { kNode, kOperator };
  Kind kind = kNode;
  std::string district;
  std::string id;  // node id or operator name
};

// "spiffe://<district>"
std::string DistrictSpiffeId(absl::string_view district);
// "spiffe://<district>/node/<id>" or "spiffe://<district>/operator/<id>"
std::string SpiffeIdString(const SpiffeId& id);

// Parses a node or operator SPIFFE ID, checking the name rules above.
// INVALID_ARGUMENT (naming `uri`) for anything else.
ABSL_MUST_USE_RESULT absl::StatusOr<SpiffeId> ParseSpiffeId(absl::string_view uri);

// Seconds since the epoch as RFC 3339 UTC, e.g. "2026-01-02T00:00:00Z".
std::string FormatUnixTime(int64_t s);

}  // namespace ilp::pki

#endif  // ILP_SERVICES_PKI_IDENTITY_H_
