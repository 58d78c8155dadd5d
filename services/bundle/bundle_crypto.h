// The public-key steps of a bundle (docs/bundles.md, "Design"), over
// OpenSSL 3: signing with a node's P-256 key, and the ECDH + HKDF-SHA256 key
// agreement that seals a bundle to the recipient's certificate key.
#ifndef ILP_SERVICES_BUNDLE_BUNDLE_CRYPTO_H_
#define ILP_SERVICES_BUNDLE_BUNDLE_CRYPTO_H_

#include <array>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/pki/internal/ossl.h"

namespace ilp::bundle::internal {

using StreamKey = std::array<unsigned char, 32>;

// SHA-256 of `data`.
std::string Sha256(absl::string_view data);

// The certificate in `pem` (its first one), its SHA-256 over DER, and its
// public key, which must be EC P-256. INVALID_ARGUMENT naming `what`.
struct ParsedCert {
  pki::internal::X509Ptr cert;
  std::string sha256;
  EVP_PKEY* key = nullptr;  // owned by cert
};
ABSL_MUST_USE_RESULT absl::StatusOr<ParsedCert> ParseP256Cert(absl::string_view pem,
                                                              absl::string_view what);

// A P-256 private key from PEM. INVALID_ARGUMENT naming `what`.
ABSL_MUST_USE_RESULT absl::StatusOr<pki::internal::PkeyPtr> ParseP256Key(absl::string_view pem,
                                                                         absl::string_view what);

// ECDSA-SHA256 (DER) of `msg` by `key`, and its check against `pub`.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> Sign(EVP_PKEY* key, absl::string_view msg);
bool Verify(EVP_PKEY* pub, absl::string_view msg, absl::string_view sig);

// DER SubjectPublicKeyInfo of a key, and back (P-256 only).
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> PublicKeyDer(EVP_PKEY* key);
ABSL_MUST_USE_RESULT absl::StatusOr<pki::internal::PkeyPtr> ParsePublicKeyDer(absl::string_view der);

// The stream key shared by `mine` (a private key) and `theirs` (a public
// key): HKDF-SHA256 of their ECDH secret, salted with the one-time key
// `ephemeral_der` and bound to `info` (sender and recipient).
ABSL_MUST_USE_RESULT absl::StatusOr<StreamKey> AgreeKey(EVP_PKEY* mine, EVP_PKEY* theirs,
                                                        absl::string_view ephemeral_der,
                                                        absl::string_view info);

}  // namespace ilp::bundle::internal

#endif  // ILP_SERVICES_BUNDLE_BUNDLE_CRYPTO_H_
