#include "services/auth/token.h"

#include <sodium.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "services/records/validate.h"
#include "storage/util/status_macros.h"

namespace ilp::auth {
namespace {

const std::set<std::string>& Roles() {
  static const auto* r = new std::set<std::string>{"kader",     "bidan",    "perawat",    "dokter",
                                                   "programme", "operator", "integration"};
  return *r;
}

const std::set<std::string>& Scopes() {
  static const auto* s = new std::set<std::string>{"records:read", "records:write", "admin:read", "admin:write"};
  return *s;
}

// What a role may do when the issuer names no scopes.
std::vector<std::string> DefaultScopes(const std::string& role) {
  if (role == "programme") return {"records:read"};
  if (role == "operator") return {"admin:read", "admin:write"};
  return {"records:read", "records:write"};
}

absl::Status Bad(absl::string_view claim, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(claim, ": ", rule));
}

}  // namespace

absl::Status ValidateClaims(v1::TokenClaims* c) {
  if (c->sub().empty() || c->sub().size() > 128) return Bad("sub", "must name the person or app (1-128 characters)");
  if (!Roles().count(c->role())) {
    return Bad("role", absl::StrCat("\"", c->role(),
                                    "\" is not one of kader, bidan, perawat, dokter, programme, operator, integration"));
  }
  if (c->area_size() == 0) return Bad("area", "must list at least one area code the holder may see");
  for (int i = 0; i < c->area_size(); ++i) {
    ILP_RETURN_IF_ERROR(ValidateAreaCode(c->area(i), absl::StrCat("area[", i, "]")));
  }
  if (!c->node().empty()) ILP_RETURN_IF_ERROR(ValidateNodeId(c->node(), "node"));
  if (c->scopes_size() == 0) {
    for (const std::string& s : DefaultScopes(c->role())) c->add_scopes(s);
  }
  for (int i = 0; i < c->scopes_size(); ++i) {
    if (!Scopes().count(c->scopes(i))) {
      return Bad(absl::StrCat("scopes[", i, "]"),
                 absl::StrCat("\"", c->scopes(i), "\" is not one of records:read, records:write, admin:read, admin:write"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> IssueToken(const SecretKey& sk, v1::TokenClaims c, absl::Time now,
                                       absl::Duration ttl) {
  ILP_RETURN_IF_ERROR(ValidateClaims(&c));
  if (ttl <= absl::ZeroDuration()) return Bad("ttl", "must be positive");
  c.set_iat(absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone()));
  c.set_exp(absl::FormatTime(absl::RFC3339_sec, now + ttl, absl::UTCTimeZone()));
  if (c.jti().empty()) {
    unsigned char id[16];
    randombytes_buf(id, sizeof(id));
    c.set_jti(absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(id), sizeof(id))));
  }
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(c, &json, o).ok()) return absl::InternalError("claims to JSON");
  return SignV4Public(sk, json, "", "");
}

absl::StatusOr<v1::TokenClaims> VerifyToken(const PublicKey& pk, absl::string_view token, absl::Time now) {
  ILP_ASSIGN_OR_RETURN(Verified v, VerifyV4Public(pk, token, ""));
  v1::TokenClaims c;
  if (!google::protobuf::util::JsonStringToMessage(v.message, &c).ok()) {
    return absl::UnauthenticatedError("token: claims are not ilp-sync token claims");
  }
  absl::Time exp;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, c.exp(), &exp, &err)) {
    return absl::UnauthenticatedError(absl::StrCat("token: exp \"", c.exp(), "\" is not an RFC 3339 time"));
  }
  if (now >= exp) return absl::UnauthenticatedError(absl::StrCat("token: expired at ", c.exp()));
  return c;
}

}  // namespace ilp::auth
