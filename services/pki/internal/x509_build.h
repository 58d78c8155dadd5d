// Building and signing X.509 v3 certificates and v2 CRLs with OpenSSL 3 for
// the district CA (services/pki/ca.h describes the profiles).
#ifndef ILP_SERVICES_PKI_INTERNAL_X509_BUILD_H_
#define ILP_SERVICES_PKI_INTERNAL_X509_BUILD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "services/pki/identity.h"
#include "services/pki/internal/index.h"
#include "services/pki/internal/ossl.h"

namespace ilp::pki::internal {

struct CertSpec {
  enum Profile {
    kCa,              // CA:TRUE pathlen:0 (critical), keyCertSign + cRLSign
    kNode,            // CA:FALSE, digitalSignature, EKU serverAuth + clientAuth
    kOperator,        // CA:FALSE, digitalSignature, EKU clientAuth
  };
  Profile profile = kNode;
  std::string common_name;
  int64_t not_before = 0;  // unix seconds
  int64_t not_after = 0;
  std::vector<std::string> uris;  // URI SANs
  std::vector<HostSan> hosts;     // DNS and IP SANs
};

// Builds and signs (ECDSA with SHA-256) a certificate for the public half of
// `subject_key` with a random positive 128-bit serial. `issuer` and
// `issuer_key` are the CA; both null makes a self-signed certificate signed
// with `subject_key`. Adds subjectKeyIdentifier, and authorityKeyIdentifier
// when there is an issuer. INTERNAL on an OpenSSL failure.
ABSL_MUST_USE_RESULT absl::StatusOr<X509Ptr> BuildCert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                                  EVP_PKEY* issuer_key);

// A signed v2 CRL (PEM) from `ca` listing every revoked entry of `entries`,
// with crlNumber `number`, lastUpdate `now`, nextUpdate `next_update` and an
// authorityKeyIdentifier. INTERNAL on an OpenSSL failure.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> SignCrl(X509* ca, EVP_PKEY* ca_key, const std::vector<IndexEntry>& entries,
                                    int64_t number, int64_t now, int64_t next_update);

// The crlNumber extension of `crl`; 0 if it has none.
int64_t CrlNumber(X509_CRL* crl);

}  // namespace ilp::pki::internal

#endif  // ILP_SERVICES_PKI_INTERNAL_X509_BUILD_H_
