// App tokens: TokenClaims (proto/ilp/v1/auth.proto) signed as PASETO
// v4.public by the district's token key, verifiable offline at any node with
// the public key (docs/security.md, "App tokens").
//
//   v1::TokenClaims c;  c.set_sub("bidan-ani"); c.set_role("bidan"); c.add_area("5371031001");
//   ILP_ASSIGN_OR_RETURN(std::string t, IssueToken(sk, c, absl::Now(), absl::Hours(24 * 30)));
//   ILP_ASSIGN_OR_RETURN(v1::TokenClaims got, VerifyToken(pk, t, absl::Now()));
#ifndef ILP_SERVICES_AUTH_TOKEN_H_
#define ILP_SERVICES_AUTH_TOKEN_H_

#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ilp/v1/auth.pb.h"
#include "services/auth/paseto.h"

namespace ilp::auth {

// Checks the claims an issuer sets (INVALID_ARGUMENT naming the claim and the
// rule); fills the role's default scopes when none are given.
ABSL_MUST_USE_RESULT absl::Status ValidateClaims(v1::TokenClaims* claims);

// Validates `claims`, sets iat = now, exp = now + ttl and a random jti if
// none, and signs them.
ABSL_MUST_USE_RESULT absl::StatusOr<std::string> IssueToken(const SecretKey& sk, v1::TokenClaims claims, absl::Time now,
                                       absl::Duration ttl);

// Verifies the signature and expiry at `now`. UNAUTHENTICATED naming the
// cause: malformed, bad signature, or "expired at <exp>".
ABSL_MUST_USE_RESULT absl::StatusOr<v1::TokenClaims> VerifyToken(const PublicKey& pk, absl::string_view token, absl::Time now);

}  // namespace ilp::auth

#endif  // ILP_SERVICES_AUTH_TOKEN_H_
