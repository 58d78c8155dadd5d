// Who is calling: every RPC on a TLS port, except the health check, must
// come from a client certificate issued by the district CA (a node's or an
// operator's). The check runs once per call, in one place, before any
// handler: PeerAuthProcessor, installed on the server credentials. The one
// exception is an app: a Records or Admin call with an `authorization`
// header and no certificate passes here, and the access gate
// (services/auth/gate.h) verifies its token.
//
// Certificates are verified against the node's *trusted* time (the time it
// learned from its parent, docs/security.md), never the raw device clock, so
// a device whose clock reads 2019 still accepts a valid certificate.
//
//   auto auth = std::make_shared<PeerAuthProcessor>(verifier, [&] { return hlc.TrustedNowMs() / 1000; });
//   ... in a handler:
//   std::optional<PeerIdentity> who = AuthenticatedPeer(*ctx);
#ifndef ILP_SERVICES_SECURITY_PEER_AUTH_H_
#define ILP_SERVICES_SECURITY_PEER_AUTH_H_

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/server_context.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/attributes.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "services/pki/verifier.h"

namespace ilp {

using pki::CertVerifier;
using pki::PeerIdentity;

// Trusted Unix time in seconds; negative when the node knows none yet (then
// certificate validity periods are not checked; chain, revocation and
// identity still are).
using TrustedTimeFn = std::function<int64_t()>;

// The methods anyone may call without a certificate.
bool IsAnonymousMethod(absl::string_view path);

class PeerAuthProcessor : public grpc::AuthMetadataProcessor {
 public:
  // `verifier` must outlive the processor.
  PeerAuthProcessor(const CertVerifier* verifier, TrustedTimeFn trusted_time);

  bool IsBlocking() const override { return false; }

  // UNAUTHENTICATED, naming the reason, unless the call is anonymous-allowed
  // or the client certificate verifies; on success the context carries the
  // peer's kind and id (read them with AuthenticatedPeer). A verdict is
  // reused for the same certificate for up to 2 s (it runs on gRPC's
  // transport thread, once per call), so a revocation takes effect within
  // 3 s (the CRL directory is re-read once a second).
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  ABSL_MUST_USE_RESULT absl::StatusOr<PeerIdentity> VerifyCached(const std::string& pem, const std::string& chain);

  const CertVerifier* const verifier_;
  const TrustedTimeFn trusted_time_;
  struct Verdict {
    absl::StatusOr<PeerIdentity> id;
    absl::Time until;
  };
  absl::Mutex mu_;
  std::map<std::string, Verdict> cache_ ABSL_GUARDED_BY(mu_);  // pem + chain -> verdict
};

// The verified identity of the caller, or nullopt on an insecure port or an
// anonymous call.
std::optional<PeerIdentity> AuthenticatedPeer(const grpc::ServerContext& ctx);

// A key that identifies one client for per-client limits: its verified
// identity, else its transport address.
std::string ClientKey(const grpc::ServerContext& ctx);

}  // namespace ilp

#endif  // ILP_SERVICES_SECURITY_PEER_AUTH_H_
