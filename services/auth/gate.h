// The one check every Records and Admin call passes before any core runs
// (docs/security.md, "Who may call what"): who is calling (an app token, or
// the operator client certificate) and whether the RPC's scope is theirs.
// Area rules (which patients) are applied after it, by RecordsAccess.
//
//   AccessGate gate(key, [&](const std::string& jti) { return revoked(jti); });
//   ILP_ASSIGN_OR_RETURN(Caller c, gate.Admit("Records.GetPatient", peer, "Bearer v4.public..."));
#ifndef ILP_SERVICES_AUTH_GATE_H_
#define ILP_SERVICES_AUTH_GATE_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/auth/caller.h"
#include "services/auth/paseto.h"

namespace ilp::auth {

// The certificate a call came with, as PeerAuthProcessor verified it.
struct PeerCert {
  enum class Kind { kNone, kNode, kOperator };
  Kind kind = Kind::kNone;
  std::string id;
};

// The scope RPC `rpc` ("Records.GetPatient", "Admin.SyncNow") needs, or ""
// for an RPC the gate does not know (then it is refused).
absl::string_view RequiredScope(absl::string_view rpc);

class AccessGate {
 public:
  using RevokedFn = std::function<bool(const std::string& jti)>;
  using NowFn = std::function<absl::Time()>;
  // `key`: the district's token public key; nullopt when the node has no
  // auth block (then every token is refused and only the operator
  // certificate gets in, to Admin). `revoked` says whether a jti is revoked.
  // `open_loopback`: a plaintext loopback node (`insecure: true`) without an
  // auth block, for development and in-process tests only: every call is
  // admitted as caller "insecure-loopback" with every scope and no area limit
  // (tokens are not looked at). With an auth block, an insecure node checks
  // tokens like any other.
  AccessGate(std::optional<PublicKey> key, RevokedFn revoked, NowFn now,
             bool open_loopback = false);

  // UNAUTHENTICATED naming the failure (missing token, malformed header,
  // bad signature, expired, revoked, node certificate outside Sync);
  // PERMISSION_DENIED naming the scope the RPC needs; else the caller.
  // `authorization` is the header value ("" when absent). A token wins
  // over a certificate when both are present.
  ABSL_MUST_USE_RESULT absl::StatusOr<Caller> Admit(absl::string_view rpc, const PeerCert& peer,
                                                    absl::string_view authorization) const;

 private:
  ABSL_MUST_USE_RESULT absl::StatusOr<Caller> FromToken(absl::string_view authorization) const;

  std::optional<PublicKey> key_;
  RevokedFn revoked_;
  NowFn now_;
  bool open_loopback_;
};

}  // namespace ilp::auth

#endif  // ILP_SERVICES_AUTH_GATE_H_
