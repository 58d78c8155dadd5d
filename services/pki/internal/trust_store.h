// What a CertVerifier trusts, loaded from the CA file and the CRL directory:
// an OpenSSL X509_STORE holding the CA certificate(s) and, per CA, its newest
// CRL. Immutable once loaded, so verifications share it without a lock
// (X509_STORE locks its own lookups).
#ifndef ILP_SERVICES_PKI_INTERNAL_TRUST_STORE_H_
#define ILP_SERVICES_PKI_INTERNAL_TRUST_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "services/pki/internal/ossl.h"

namespace ilp::pki::internal {

struct TrustStore {
  StorePtr store;
  std::vector<X509Ptr> cas;
  std::string district;
  bool has_crl = false;  // a CRL signed by one of `cas` is in `store`
};

// Loads `ca_file` and, unless empty, `crl_dir` (CertVerifier::Create has the
// contract and errors).
ABSL_MUST_USE_RESULT absl::StatusOr<std::shared_ptr<const TrustStore>> LoadTrustStore(const std::string& ca_file,
                                                                 const std::string& crl_dir);

// A string that changes whenever `ca_file` or a file in `crl_dir` is
// replaced, rewritten, added or removed (inode, size, mtime in ns).
std::string FilesFingerprint(const std::string& ca_file, const std::string& crl_dir);

}  // namespace ilp::pki::internal

#endif  // ILP_SERVICES_PKI_INTERNAL_TRUST_STORE_H_
