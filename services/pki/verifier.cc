#include "services/pki/verifier.h"

#include <openssl/x509_vfy.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/pki/internal/ossl.h"
#include "services/pki/internal/trust_store.h"
#include "storage/util/status_macros.h"

namespace ilp::pki {
namespace {

using internal::X509Ptr;

constexpr std::chrono::seconds kRecheckEvery{1};

// Revocation must not lock a whole district out because CRL distribution
// lags or a tablet's trusted time is behind the CRL's issue: a CRL past its
// nextUpdate or not yet valid at the trusted time is still used (revocation
// only ever adds serials, so an old list is a subset of the truth), and a CA
// without a loaded CRL is checked without one. Every other failure stands.
int VerifyCallback(int ok, X509_STORE_CTX* ctx) {
  if (ok) return 1;
  switch (X509_STORE_CTX_get_error(ctx)) {
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL:
      return 1;
    default:
      return 0;
  }
}

// UNAUTHENTICATED with `why`: the peer is not let in.
absl::Status Refuse(absl::string_view why) { return absl::UnauthenticatedError(why); }

// The message for a failed X509_verify_cert, by OpenSSL's verify error code.
absl::Status VerifyError(X509_STORE_CTX* ctx, X509* leaf, const std::string& district, int64_t trusted) {
  const int err = X509_STORE_CTX_get_error(ctx);
  const int depth = X509_STORE_CTX_get_error_depth(ctx);
  X509* cur = X509_STORE_CTX_get_current_cert(ctx);
  if (cur == nullptr) cur = leaf;
  const std::string who = depth == 0 ? "peer certificate" : absl::StrCat("district CA ", district, " certificate");
  const std::string at = absl::StrCat(" (trusted time ", FormatUnixTime(trusted), ")");
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Refuse(absl::StrCat(
          who, " expired at ", FormatUnixTime(internal::AsnTimeToUnix(X509_get0_notAfter(cur))), at));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Refuse(absl::StrCat(
          who, " not yet valid until ", FormatUnixTime(internal::AsnTimeToUnix(X509_get0_notBefore(cur))), at));
    case X509_V_ERR_CERT_REVOKED:
      return Refuse(absl::StrCat("peer certificate serial ", internal::SerialHex(X509_get0_serialNumber(cur)),
                                 " is revoked (CRL of the district CA ", district, ")"));
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return Refuse(absl::StrCat("peer certificate is not signed by the district CA ", district, " (issuer \"",
                                 internal::CommonName(X509_get_issuer_name(leaf)), "\")"));
    default:
      return Refuse(absl::StrCat("peer certificate refused: ", X509_verify_cert_error_string(err), " (depth ",
                                 depth, ")"));
  }
}

// The node or operator the verified `leaf` names, in `district`.
absl::StatusOr<PeerIdentity> Identify(X509* leaf, const std::string& district) {
  std::vector<std::string> uris;
  for (std::string& u : internal::UriSans(leaf)) {
    if (absl::StartsWith(u, "spiffe://")) uris.push_back(std::move(u));
  }
  const std::string want = absl::StrCat("spiffe://", district, "/node/... URI SAN");
  if (uris.empty()) return Refuse(absl::StrCat("peer certificate has no ", want));
  if (uris.size() > 1) {
    return Refuse(absl::StrCat("peer certificate has ", uris.size(), " spiffe:// URI SANs; want exactly one ", want));
  }
  absl::StatusOr<SpiffeId> id = ParseSpiffeId(uris[0]);
  if (!id.ok()) return Refuse(absl::StrCat("peer certificate has no ", want, ": ", id.status().message()));
  if (id->district != district) {
    return Refuse(absl::StrCat("peer certificate ", uris[0], " is for district ", id->district, ", not ", district));
  }
  PeerIdentity p;
  p.kind = id->kind == SpiffeId::kNode ? PeerIdentity::kNode : PeerIdentity::kOperator;
  p.id = id->id;
  p.district = district;
  p.serial_hex = internal::SerialHex(X509_get0_serialNumber(leaf));
  p.spiffe_id = uris[0];
  return p;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CertVerifier>> CertVerifier::Create(const std::string& ca_file,
                                                                   const std::string& crl_dir) {
  const std::string fingerprint = internal::FilesFingerprint(ca_file, crl_dir);
  ILP_ASSIGN_OR_RETURN(std::shared_ptr<const internal::TrustStore> trust,
                       internal::LoadTrustStore(ca_file, crl_dir));
  return std::unique_ptr<CertVerifier>(new CertVerifier(ca_file, crl_dir, std::move(trust), fingerprint));
}

CertVerifier::CertVerifier(std::string ca_file, std::string crl_dir,
                           std::shared_ptr<const internal::TrustStore> trust, std::string fingerprint)
    : ca_file_(std::move(ca_file)),
      crl_dir_(std::move(crl_dir)),
      trust_(std::move(trust)),
      fingerprint_(std::move(fingerprint)),
      last_check_(std::chrono::steady_clock::now()) {}

CertVerifier::~CertVerifier() = default;

absl::StatusOr<bool> CertVerifier::ReloadIfChangedLocked() const {
  last_check_ = std::chrono::steady_clock::now();
  // Fingerprint before loading: a change during the load shows up next time.
  std::string fingerprint = internal::FilesFingerprint(ca_file_, crl_dir_);
  if (fingerprint == fingerprint_) return false;
  absl::StatusOr<std::shared_ptr<const internal::TrustStore>> trust = internal::LoadTrustStore(ca_file_, crl_dir_);
  last_reload_ = trust.status();
  if (!trust.ok()) return trust.status();  // keep the previous trust
  trust_ = std::move(*trust);
  fingerprint_ = std::move(fingerprint);
  return true;
}

std::shared_ptr<const internal::TrustStore> CertVerifier::Current() const {
  absl::MutexLock l(&mu_);
  if (std::chrono::steady_clock::now() - last_check_ >= kRecheckEvery) {
    // A failed reload is kept in last_reload_ and the old trust stays in use.
    ReloadIfChangedLocked().status().IgnoreError();
  }
  return trust_;
}

absl::StatusOr<bool> CertVerifier::TEST_ReloadIfChanged() {
  absl::MutexLock l(&mu_);
  return ReloadIfChangedLocked();
}

std::string CertVerifier::district() const { return Current()->district; }
bool CertVerifier::checks_revocation() const { return Current()->has_crl; }

absl::Status CertVerifier::last_reload_status() const {
  absl::MutexLock l(&mu_);
  return last_reload_;
}

absl::StatusOr<PeerIdentity> CertVerifier::Verify(absl::string_view leaf_pem, absl::string_view chain_pem,
                                                  int64_t trusted_unix_s) const {
  if (leaf_pem.empty()) return Refuse("no peer certificate");
  absl::StatusOr<std::vector<X509Ptr>> leaf = internal::ParseCertsPem(leaf_pem);
  if (!leaf.ok()) return Refuse(absl::StrCat("peer certificate does not parse: ", leaf.status().message()));
  internal::X509StackPtr chain(sk_X509_new_null());
  if (!chain_pem.empty()) {
    absl::StatusOr<std::vector<X509Ptr>> certs = internal::ParseCertsPem(chain_pem);
    if (!certs.ok()) return Refuse(absl::StrCat("peer certificate chain does not parse: ", certs.status().message()));
    for (X509Ptr& c : *certs) sk_X509_push(chain.get(), c.release());
  }
  std::shared_ptr<const internal::TrustStore> trust = Current();
  X509* cert = leaf->front().get();
  internal::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), trust->store.get(), cert, chain.get()) != 1) {
    return absl::InternalError(absl::StrCat("X509_STORE_CTX_init: ", internal::OpensslError()));
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (trusted_unix_s < 0) {
    // The caller knows no trusted time yet (a device that never synced):
    // validity periods cannot be judged; chain, CRL and identity still are.
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  } else {
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(trusted_unix_s));  // never the local clock
  }
  if (trust->has_crl) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
  // No purpose is set: the same node certificate serves as client and server.
  X509_STORE_CTX_set_verify_cb(ctx.get(), VerifyCallback);
  if (X509_verify_cert(ctx.get()) != 1) {
    absl::Status s = VerifyError(ctx.get(), cert, trust->district, trusted_unix_s);
    internal::OpensslError();  // clear the thread's error queue
    return s;
  }
  return Identify(cert, trust->district);
}

}  // namespace ilp::pki
