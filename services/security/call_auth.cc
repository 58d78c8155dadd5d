#include "services/security/call_auth.h"

#include "services/security/peer_auth.h"

namespace ilp {

absl::StatusOr<auth::Caller> AdmitCall(const auth::AccessGate& gate, const grpc::ServerContext& ctx,
                                       absl::string_view rpc) {
  auth::PeerCert cert;
  if (std::optional<PeerIdentity> p = AuthenticatedPeer(ctx)) {
    cert.kind = p->kind == PeerIdentity::kNode ? auth::PeerCert::Kind::kNode
                                               : auth::PeerCert::Kind::kOperator;
    cert.id = p->id;
  }
  absl::string_view header;
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) header = absl::string_view(it->second.data(), it->second.size());
  return gate.Admit(rpc, cert, header);
}

}  // namespace ilp
