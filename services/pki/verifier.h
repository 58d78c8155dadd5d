// Checks a peer's certificate against the district CA, judging validity at a
// time the caller trusts instead of the local clock: a posyandu tablet whose
// clock says 2019, or a year ahead, must neither accept an expired
// certificate nor refuse a good one because of its own clock.
//
// A certificate is accepted when it chains to the CA (the only trust anchor),
// is within its validity period at `trusted_unix_s`, is not on the CA's CRL
// (when a CRL is loaded), and carries exactly one URI SAN
// spiffe://<district>/node/<id> or spiffe://<district>/operator/<name> with
// the CA's district. Refusals are UNAUTHENTICATED with a message an operator
// can act on ("peer certificate expired at ... (trusted time ...)").
//
// Usage:
//   ILP_ASSIGN_OR_RETURN(std::unique_ptr<CertVerifier> v,
//                        CertVerifier::Create("/etc/ilp/ca.crt", "/etc/ilp/crl"));
//   absl::StatusOr<PeerIdentity> peer = v->Verify(leaf_pem, "", trusted_now);
//
// The CA file and CRL directory are re-read when they change (checked at most
// once a second, on Verify), so CA rotation and new CRLs need no restart.
#ifndef ILP_SERVICES_PKI_VERIFIER_H_
#define ILP_SERVICES_PKI_VERIFIER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/pki/identity.h"

namespace ilp::pki {
namespace internal {
struct TrustStore;  // internal/trust_store.h
}  // namespace internal

struct PeerIdentity {
  enum Kind { kNode, kOperator };
  Kind kind = kNode;
  std::string id;          // node id or operator name
  std::string district;
  std::string serial_hex;  // uppercase, no leading zeros
  std::string spiffe_id;
};

class CertVerifier {
 public:
  // Loads `ca_file` (one or more PEM CA certificates of one district, each
  // with a spiffe://<district> URI SAN) and, unless `crl_dir` is empty, the
  // CRLs in `crl_dir` (files named <hash>.r<n>; CRLs of other issuers are
  // ignored). NOT_FOUND naming a missing file or directory; INVALID_ARGUMENT
  // naming a file that does not parse, a CRL with a bad signature, or a CA
  // certificate without a district.
  ABSL_MUST_USE_RESULT static absl::StatusOr<std::unique_ptr<CertVerifier>> Create(const std::string& ca_file,
                                                              const std::string& crl_dir);
  ~CertVerifier();
  CertVerifier(const CertVerifier&) = delete;
  CertVerifier& operator=(const CertVerifier&) = delete;

  // Verifies `leaf_pem` (with optional intermediates in `chain_pem`) at
  // `trusted_unix_s`, never the local clock; a negative time means "none
  // known yet": validity periods are then not checked (chain, CRL and
  // identity still are). Returns who the peer is, or
  // UNAUTHENTICATED naming the reason. Thread-safe.
  // REQUIRES: trusted_unix_s is a time the caller trusts (e.g. from its
  // hybrid logical clock's guarded physical time).
  ABSL_MUST_USE_RESULT absl::StatusOr<PeerIdentity> Verify(absl::string_view leaf_pem, absl::string_view chain_pem,
                                      int64_t trusted_unix_s) const;

  // The CA's district.
  std::string district() const;
  // True if a CRL signed by the CA is loaded, i.e. revocation is checked.
  bool checks_revocation() const;
  // OK, or why the last reload failed (the previous files stay in use).
  ABSL_MUST_USE_RESULT absl::Status last_reload_status() const;

  // Test hook: the reload check Verify makes, now, without the once-a-second
  // limit. Returns true if the files changed and were reloaded.
  ABSL_MUST_USE_RESULT absl::StatusOr<bool> TEST_ReloadIfChanged();

 private:
  CertVerifier(std::string ca_file, std::string crl_dir, std::shared_ptr<const internal::TrustStore> trust,
               std::string fingerprint);
  // The trust to verify with, after reloading it if the files changed and the
  // last check is over a second old.
  std::shared_ptr<const internal::TrustStore> Current() const;
  // Reloads if the files' fingerprint differs. REQUIRES: mu_ held.
  ABSL_MUST_USE_RESULT absl::StatusOr<bool> ReloadIfChangedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string ca_file_, crl_dir_;
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const internal::TrustStore> trust_ ABSL_GUARDED_BY(mu_);
  mutable std::string fingerprint_ ABSL_GUARDED_BY(mu_);
  mutable std::chrono::steady_clock::time_point last_check_ ABSL_GUARDED_BY(mu_);
  mutable absl::Status last_reload_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ilp::pki

#endif  // ILP_SERVICES_PKI_VERIFIER_H_
