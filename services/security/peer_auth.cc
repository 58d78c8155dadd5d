#include "services/security/peer_auth.h"

#include <grpc/grpc_security_constants.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ilp {
namespace {

constexpr char kPeerKind[] = "ilp_peer_kind";
constexpr char kPeerId[] = "ilp_peer_id";
constexpr char kPeerDistrict[] = "ilp_peer_district";

std::string First(const grpc::AuthContext& ctx, const char* name) {
  std::vector<grpc::string_ref> v = ctx.FindPropertyValues(name);
  return v.empty() ? std::string() : std::string(v[0].data(), v[0].size());
}

}  // namespace

bool IsAnonymousMethod(absl::string_view path) {
  return path == "/grpc.health.v1.Health/Check" || path == "/grpc.health.v1.Health/Watch";
}

PeerAuthProcessor::PeerAuthProcessor(const CertVerifier* verifier, TrustedTimeFn trusted_time)
    : verifier_(verifier), trusted_time_(std::move(trusted_time)) {}

grpc::Status PeerAuthProcessor::Process(const InputMetadata& md, grpc::AuthContext* context,
                                        OutputMetadata*, OutputMetadata*) {
  auto path = md.find(":path");
  if (path != md.end() &&
      IsAnonymousMethod(absl::string_view(path->second.data(), path->second.size()))) {
    return grpc::Status::OK;
  }
  const std::string pem = First(*context, GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty() && path != md.end() && md.count("authorization") > 0) {
    // An app: no certificate, a token. Records and Admin only; the access
    // gate verifies the token on the call (services/auth/gate.h).
    const absl::string_view p(path->second.data(), path->second.size());
    if (absl::StartsWith(p, "/ilp.v1.Records/") || absl::StartsWith(p, "/ilp.v1.Admin/")) {
      return grpc::Status::OK;
    }
  }
  if (pem.empty()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "this node requires a client certificate issued by the district CA "
                        "(a node certificate, or an operator's: ilpctl --cert/--key)");
  }
  const std::string chain = First(*context, GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
  absl::StatusOr<PeerIdentity> id = VerifyCached(pem, chain);
  if (!id.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(id.status().message()));
  }
  // The auth context belongs to the connection, whose certificate never
  // changes: name the peer once (adding per call would grow the property
  // list without bound). Every call is still verified above, so a revoked or
  // expired certificate fails its next call.
  if (First(*context, kPeerId).empty()) {
    context->AddProperty(kPeerKind, id->kind == PeerIdentity::kNode ? "node" : "operator");
    context->AddProperty(kPeerId, id->id);
    context->AddProperty(kPeerDistrict, id->district);
  }
  return grpc::Status::OK;
}

absl::StatusOr<PeerIdentity> PeerAuthProcessor::VerifyCached(const std::string& pem,
                                                            const std::string& chain) {
  constexpr size_t kMaxEntries = 4096;
  const std::string key = absl::StrCat(pem, "\n", chain);
  const absl::Time now = absl::Now();
  {
    absl::MutexLock l(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.until > now) return it->second.id;
  }
  absl::StatusOr<PeerIdentity> id = verifier_->Verify(pem, chain, trusted_time_());
  absl::MutexLock l(&mu_);
  if (cache_.size() >= kMaxEntries) cache_.clear();  // a flood of certificates: start over
  cache_[key] = Verdict{id, now + absl::Seconds(2)};
  return id;
}

std::optional<PeerIdentity> AuthenticatedPeer(const grpc::ServerContext& ctx) {
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (!auth) return std::nullopt;
  const std::string kind = First(*auth, kPeerKind);
  if (kind.empty()) return std::nullopt;
  PeerIdentity p;
  p.kind = kind == "node" ? PeerIdentity::kNode : PeerIdentity::kOperator;
  p.id = First(*auth, kPeerId);
  p.district = First(*auth, kPeerDistrict);
  return p;
}

std::string ClientKey(const grpc::ServerContext& ctx) {
  std::optional<PeerIdentity> p = AuthenticatedPeer(ctx);
  if (p) return absl::StrCat(p->kind == PeerIdentity::kNode ? "node:" : "operator:", p->id);
  std::string peer = ctx.peer();  // "ipv4:127.0.0.1:5555": key by host, not port
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

}  // namespace ilp
