// The district CA: one directory holding a district's certificate authority,
// the certificates it issued and its revocation list. `ilpctl pki` drives it.
//
//   DIR/ca.crt             CA certificate (PEM), URI SAN spiffe://<district>
//   DIR/ca.key             CA private key (PEM PKCS#8, mode 0600), DIR is 0700
//   DIR/index.txt          every issued certificate (internal/index.h has the format)
//   DIR/crl/<hash>.r0      the CRL (PEM), named as `openssl rehash` would name it,
//                          so gRPC's set_crl_directory and openssl -CRLpath find it
//   DIR/<node_id>.crt/.key a node's certificate and key (0600)
//   DIR/operator-<name>.crt/.key
//
// Keys are ECDSA P-256, signatures ECDSA-SHA256. Profiles:
//   CA        self-signed v3, CN "ILP district CA <district>", basicConstraints
//             critical CA:TRUE pathlen:0, keyUsage keyCertSign+cRLSign, SKID;
//             notBefore now-24h, notAfter now+days (default 3650).
//   node      CN <node_id>, URI SAN spiffe://<district>/node/<node_id>, one DNS
//             or IP SAN per --host, EKU serverAuth+clientAuth, keyUsage
//             digitalSignature, CA:FALSE, SKID+AKID, random 128-bit serial;
//             notBefore now-1h (clock skew), notAfter now+days (default 825),
//             never past the CA's notAfter.
//   operator  as node, URI SAN spiffe://<district>/operator/<name>, EKU clientAuth.
//
// The CRL is v2 with a crlNumber bumped on each revocation, lastUpdate now and
// nextUpdate now+3650 days: CRLs travel to offline sites by hand, and stock
// verifiers (gRPC, openssl) refuse every peer once nextUpdate passes, so
// freshness is the distribution's job, not the CRL's.
//
// Usage:
//   ILP_RETURN_IF_ERROR(InitCa("/etc/ilp/ca", "kupang", kDefaultCaDays));
//   ILP_ASSIGN_OR_RETURN(IssuedCert c, IssueNode("/etc/ilp/ca", "pkm-oebobo", {"10.0.0.7"}, 825));
//   ILP_ASSIGN_OR_RETURN(RevokedCert r, Revoke("/etc/ilp/ca", c.serial_hex));
//
// Calls on one DIR serialise on a flock of DIR/.lock. The CA's own clock
// (absl::Now) sets validity periods and revocation times.
#ifndef ILP_SERVICES_PKI_CA_H_
#define ILP_SERVICES_PKI_CA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ilp::pki {

inline constexpr int kDefaultCaDays = 3650;
inline constexpr int kDefaultLeafDays = 825;
inline constexpr int kCrlNextUpdateDays = 3650;

struct IssuedCert {
  std::string cert_path, key_path;
  std::string serial_hex;  // uppercase, no leading zeros
  std::string spiffe_id;
  int64_t not_after = 0;   // unix seconds
};

struct RevokedCert {
  std::string serial_hex;
  std::string kind;      // "node" or "operator"
  std::string id;        // node id or operator name
  std::string crl_path;  // DIR/crl/<hash>.r0
  int64_t crl_number = 0;
  bool already_revoked = false;  // true: nothing changed
};

// Creates the CA in `dir` (created 0700 if missing; its parent must exist).
// INVALID_ARGUMENT naming --district or --days for a bad argument (days
// 1-36500); FAILED_PRECONDITION naming DIR/ca.key if it exists, in which case
// nothing is changed.
ABSL_MUST_USE_RESULT absl::Status InitCa(const std::string& dir, const std::string& district, int days);

// Issues a node certificate and key as DIR/<node_id>.crt/.key, replacing
// earlier files of that node (the earlier certificate stays valid until it
// expires or is revoked). `hosts` are DNS names or IP literals.
// INVALID_ARGUMENT naming --node-id, --host or --days; FAILED_PRECONDITION if
// DIR holds no CA.
ABSL_MUST_USE_RESULT absl::StatusOr<IssuedCert> IssueNode(const std::string& dir, const std::string& node_id,
                                     const std::vector<std::string>& hosts, int days);

// As IssueNode for an operator: DIR/operator-<name>.crt/.key, EKU clientAuth.
// INVALID_ARGUMENT naming --name or --days.
ABSL_MUST_USE_RESULT absl::StatusOr<IssuedCert> IssueOperator(const std::string& dir, const std::string& name, int days);

// The district of the CA in `dir` (from its spiffe://<district> URI SAN).
// FAILED_PRECONDITION if `dir` holds no CA.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> CaDistrict(const std::string& dir);

// Revokes the certificate with serial `serial_hex` (any case): re-signs the
// CRL with the next crlNumber and marks index.txt. Revoking twice is OK and
// changes nothing. INVALID_ARGUMENT naming --serial if it is not hex;
// NOT_FOUND if this CA never issued it.
ABSL_MUST_USE_RESULT absl::StatusOr<RevokedCert> Revoke(const std::string& dir, const std::string& serial_hex);

}  // namespace ilp::pki

#endif  // ILP_SERVICES_PKI_CA_H_
