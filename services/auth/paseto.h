// PASETO v4.public tokens (https://github.com/paseto-standard/paseto-spec,
// docs/security.md): Ed25519 signatures over PAE(header, message, footer,
// implicit assertion), with libsodium, and PASERK key strings
// ("k4.secret.<base64url>", "k4.public.<base64url>").
//
//   ILP_ASSIGN_OR_RETURN(std::string t, SignV4Public(sk, R"({"sub":"bidan-ani"})", "", ""));
//   ILP_ASSIGN_OR_RETURN(Verified v, VerifyV4Public(pk, t, ""));   // v.message, v.footer
#ifndef ILP_SERVICES_AUTH_PASETO_H_
#define ILP_SERVICES_AUTH_PASETO_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ilp::auth {

struct PublicKey {
  std::array<uint8_t, 32> bytes{};
};
struct SecretKey {
  std::array<uint8_t, 64> bytes{};  // libsodium layout: seed || public key
};

// A new random key pair.
void NewKeyPair(PublicKey* pk, SecretKey* sk);

// Pre-authentication encoding: LE64(count) || (LE64(len) || piece)...
std::string Pae(const std::vector<absl::string_view>& pieces);

// "v4.public." + base64url(message || signature) [+ "." + base64url(footer)].
std::string SignV4Public(const SecretKey& sk, absl::string_view message, absl::string_view footer,
                         absl::string_view implicit_assertion);

struct Verified {
  std::string message;
  std::string footer;
};

// Checks a v4.public token; UNAUTHENTICATED naming what is wrong: not a
// v4.public token, bad encoding, or a signature that does not verify.
ABSL_MUST_USE_RESULT absl::StatusOr<Verified> VerifyV4Public(const PublicKey& pk, absl::string_view token,
                                        absl::string_view implicit_assertion);

// PASERK strings of keys, and their parsing (INVALID_ARGUMENT naming the rule).
std::string ToPaserk(const PublicKey& pk);
std::string ToPaserk(const SecretKey& sk);
ABSL_MUST_USE_RESULT absl::StatusOr<PublicKey> ParsePublicPaserk(absl::string_view s);
ABSL_MUST_USE_RESULT absl::StatusOr<SecretKey> ParseSecretPaserk(absl::string_view s);

}  // namespace ilp::auth

#endif  // ILP_SERVICES_AUTH_PASETO_H_
