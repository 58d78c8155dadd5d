// token keygen|issue: the district's app-token key and the tokens it signs
// (services/auth/token.h). These commands never contact a node.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "services/auth/token.h"
#include "services/ctl/commands.h"

namespace ilp::ctl {
namespace {

struct Args {
  std::string dir, key, sub, role, node, ttl = "30d", district, jti, reason;
  std::vector<std::string> areas, scopes;
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "ilpctl: %s\n", msg.c_str());
  return kError;
}

bool WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text << "\n";
    if (!f) return false;
  }
  return chmod(tmp.c_str(), mode) == 0 && std::rename(tmp.c_str(), path.c_str()) == 0;
}

int Keygen(const Ctl& c, const Args& a) {
  const std::string key = a.dir + "/token.key", pub = a.dir + "/token.pub";
  std::error_code ec;
  if (std::filesystem::exists(key, ec)) {
    return Fail(absl::StrCat(key, " already exists: refusing to replace the district's token key"));
  }
  std::filesystem::create_directories(a.dir, ec);
  auth::PublicKey pk;
  auth::SecretKey sk;
  auth::NewKeyPair(&pk, &sk);
  if (!WriteFile(key, auth::ToPaserk(sk), 0600) || !WriteFile(pub, auth::ToPaserk(pk), 0644)) {
    return Fail(absl::StrCat("cannot write ", key, " and ", pub));
  }
  std::printf("secret key  %s (keep at the district; signs tokens)\npublic key  %s (copy to every node: "
              "auth { token_public_key_file })\n", key.c_str(), pub.c_str());
  return kOk;
}

int Issue(const Ctl& c, const Args& a) {
  std::ifstream in(a.key);
  if (!in) return Fail(absl::StrCat("--key ", a.key, ": cannot read"));
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<auth::SecretKey> sk = auth::ParseSecretPaserk(ss.str());
  if (!sk.ok()) return Fail(absl::StrCat("--key ", a.key, ": ", sk.status().message()));
  std::optional<int64_t> ttl_ms = ParseAge(a.ttl);
  if (!ttl_ms || *ttl_ms <= 0) return Fail(absl::StrCat("--ttl ", a.ttl, ": want a duration such as 30d or 12h"));
  v1::TokenClaims claims;
  claims.set_sub(a.sub);
  claims.set_role(a.role);
  for (const std::string& area : a.areas) claims.add_area(area);
  for (const std::string& s : a.scopes) claims.add_scopes(s);
  claims.set_node(a.node);
  claims.set_iss(a.district);
  claims.set_jti(a.jti);
  absl::StatusOr<std::string> t = auth::IssueToken(*sk, claims, absl::Now(), absl::Milliseconds(*ttl_ms));
  if (!t.ok()) return Fail(std::string(t.status().message()));
  std::printf("%s\n", t->c_str());
  return kOk;
}

int Revoke(const Ctl& c, const Args& a) {
  v1::RevokeTokenRequest req;
  req.set_jti(a.jti);
  req.set_reason(a.reason);
  v1::RevokeTokenResponse resp;
  grpc::Status s = v1::Admin::NewStub(c.channel)->RevokeToken(c.Ctx().get(), req, &resp);
  if (!s.ok()) return ctl::Fail(s);
  std::printf("revoked jti %s (record %s); it reaches each node with its next sync\n",
              a.jti.c_str(), resp.id().c_str());
  return kOk;
}

}  // namespace

void AddTokenCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto* token = app->add_subcommand("token", "app tokens (PASETO v4.public): the district key and the tokens it signs");
  token->require_subcommand(1);
  auto* keygen = token->add_subcommand("keygen", "make DIR/token.key (secret) and DIR/token.pub");
  keygen->add_option("--dir", a->dir, "where to write the keys")->required();
  keygen->callback([a, run] { *run = [a](const Ctl& c) { return Keygen(c, *a); }; });
  auto* issue = token->add_subcommand("issue", "print a token signed with --key");
  issue->add_option("--key", a->key, "the district's token.key")->required();
  issue->add_option("--sub", a->sub, "the person or app")->required();
  issue->add_option("--role", a->role, "kader, bidan, perawat, dokter, programme, operator or integration")->required();
  issue->add_option("--area", a->areas, "area-code prefix the holder may see (repeatable)")->required();
  issue->add_option("--node", a->node, "the posyandu or Pustu whose tasks the holder may see");
  issue->add_option("--scope", a->scopes, "records:read, records:write, admin:read, admin:write (default: by role)");
  issue->add_option("--ttl", a->ttl, "lifetime, e.g. 30d or 12h")->capture_default_str();
  issue->add_option("--district", a->district, "the issuing district (the token's iss)");
  issue->add_option("--jti", a->jti, "the token id (default: random); `token revoke` names it");
  auto* revoke = token->add_subcommand("revoke", "revoke a token by jti, at the district node");
  revoke->add_option("--jti", a->jti, "the token's jti")->required();
  revoke->add_option("--reason", a->reason, "why (no patient data)");
  revoke->callback([a, run] { *run = [a](const Ctl& c) { return Revoke(c, *a); }; });
  issue->callback([a, run] { *run = [a](const Ctl& c) { return Issue(c, *a); }; });
}

}  // namespace ilp::ctl
