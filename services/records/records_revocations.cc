// Token revocations: records that replicate down to every node, where the
// access gate refuses their jti (services/auth/gate.h).
#include "absl/strings/str_cat.h"
#include "services/records/records_core.h"
#include "services/records/validate.h"
#include "storage/util/ids.h"
#include "storage/util/status_macros.h"

namespace ilp {

absl::StatusOr<v1::RevokeTokenResponse> RecordsCore::RevokeTokenUnacked(const std::string& jti,
                                                                 const std::string& reason,
                                                                 const std::string& by) {
  if (jti.empty() || jti.size() > 128) {
    return absl::InvalidArgumentError("jti: required, at most 128 bytes");
  }
  if (reason.size() > 500) return absl::InvalidArgumentError("reason: at most 500 bytes");
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(const bool already, store_->IsRevoked(jti));
  if (already) return absl::AlreadyExistsError(absl::StrCat("jti ", jti, ": already revoked"));
  v1::Record d;
  d.set_id(ids_.Next(NowMs()));
  *d.mutable_created() = hlc_->Now();
  d.mutable_revocation()->set_jti(jti);
  d.mutable_revocation()->set_reason(reason);
  d.mutable_revocation()->set_revoked_by(by);
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}, nullptr));
  v1::RevokeTokenResponse out;
  out.set_id(res.states[0].id());
  return out;
}

}  // namespace ilp
