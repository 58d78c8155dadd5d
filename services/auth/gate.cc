#include "services/auth/gate.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/auth/token.h"

namespace ilp::auth {

absl::string_view RequiredScope(absl::string_view rpc) {
  static const auto* table = new std::map<std::string, std::string, std::less<>>{
      {"Records.CreatePatient", "records:write"},   {"Records.UpdatePatient", "records:write"},
      {"Records.LinkPatients", "records:write"},    {"Records.RecordEncounter", "records:write"},
      {"Records.MarkEnteredInError", "records:write"}, {"Records.CreateReferral", "records:write"},
      {"Records.TransitionReferral", "records:write"}, {"Records.RespondToReferral", "records:write"},
      {"Records.UpdateTask", "records:write"},
      {"Records.GetPatient", "records:read"},       {"Records.FindPatients", "records:read"},
      {"Records.GetReferral", "records:read"},      {"Records.ListPatientHistory", "records:read"},
      {"Records.ListTasks", "records:read"},        {"Records.WatchChanges", "records:read"},
      {"Admin.GetStatus", "admin:read"},            {"Admin.GetTree", "admin:read"},
      {"Admin.ListConflicts", "admin:read"},        {"Admin.Verify", "admin:read"},
      {"Admin.ListQuarantine", "admin:read"},       {"Admin.ListAudit", "admin:read"},
      {"Admin.Backup", "admin:read"},               {"Admin.SatusehatStatus", "admin:read"},
      {"Admin.SyncNow", "admin:write"},             {"Admin.RevokeToken", "admin:write"},
      {"Admin.SatusehatRetry", "admin:write"},      {"Admin.ExportBundle", "admin:write"},
      {"Admin.ImportBundle", "admin:write"},        {"Admin.ImportReceipt", "admin:write"},
  };
  auto it = table->find(rpc);
  return it == table->end() ? absl::string_view() : absl::string_view(it->second);
}

AccessGate::AccessGate(std::optional<PublicKey> key, RevokedFn revoked, NowFn now,
                       bool open_loopback)
    : key_(key), revoked_(std::move(revoked)), now_(std::move(now)), open_loopback_(open_loopback) {}

absl::StatusOr<Caller> AccessGate::FromToken(absl::string_view authorization) const {
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWith(authorization, kBearer)) {
    return absl::UnauthenticatedError(
        "authorization: malformed header; send \"authorization: Bearer <token>\"");
  }
  if (!key_) {
    return absl::UnauthenticatedError(
        "token refused: this node has no auth.token_public_key_file, so it verifies no app token");
  }
  absl::StatusOr<v1::TokenClaims> c =
      VerifyToken(*key_, authorization.substr(kBearer.size()), now_());
  if (!c.ok()) return absl::UnauthenticatedError(absl::StrCat("token: ", c.status().message()));
  if (revoked_ && revoked_(c->jti())) {
    return absl::UnauthenticatedError(absl::StrCat("token: revoked (jti ", c->jti(), ")"));
  }
  Caller who;
  who.kind = Caller::Kind::kApp;
  who.sub = c->sub();
  who.role = c->role();
  who.jti = c->jti();
  who.node = c->node();
  who.area.assign(c->area().begin(), c->area().end());
  who.scopes.assign(c->scopes().begin(), c->scopes().end());
  return who;
}

absl::StatusOr<Caller> AccessGate::Admit(absl::string_view rpc, const PeerCert& peer,
                                         absl::string_view authorization) const {
  Caller who;
  if (open_loopback_) {
    who.kind = Caller::Kind::kOperator;
    who.sub = "insecure-loopback";
    who.role = "operator";
    who.area = {""};  // every area code starts with ""
    who.unrestricted = true;
    who.scopes = {"records:read", "records:write", "admin:read", "admin:write"};
    return who;
  }
  if (!authorization.empty()) {
    absl::StatusOr<Caller> t = FromToken(authorization);
    if (!t.ok()) return t.status();
    who = *std::move(t);
  } else if (peer.kind == PeerCert::Kind::kOperator) {
    who.kind = Caller::Kind::kOperator;
    who.sub = peer.id;
    who.role = "operator";
    who.scopes = {"admin:read", "admin:write"};
  } else if (peer.kind == PeerCert::Kind::kNode) {
    return absl::UnauthenticatedError(absl::StrCat(
        "node certificate ", peer.id, " may call only Sync; ", rpc, " needs an app token"));
  } else {
    return absl::UnauthenticatedError(absl::StrCat(
        "missing token: ", rpc, " needs \"authorization: Bearer <token>\" (ilpctl --token)"));
  }
  const absl::string_view scope = RequiredScope(rpc);
  if (scope.empty()) {
    return absl::PermissionDeniedError(absl::StrCat("rule scope: ", rpc, " is not open to apps"));
  }
  if (!who.Has(scope)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "rule scope: ", rpc, " needs ", scope, "; ", who.sub, " (", who.role, ") has [",
        absl::StrJoin(who.scopes, ", "), "]"));
  }
  return who;
}

}  // namespace ilp::auth
