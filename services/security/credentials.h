// TLS credentials for a node's server, for its channel to the parent, and
// for ilpctl (docs/security.md).
//
// Both ends use gRPC's TLS credentials with a FileWatcherCertificateProvider,
// so a renewed certificate or CA file is picked up without a restart. gRPC's
// own certificate checks are off; ours run instead (CertVerifier), because
// they judge validity against the node's trusted time rather than the device
// clock, check the district CRL, and require the peer's SPIFFE identity:
//   - server side: the client certificate, once per call (PeerAuthProcessor);
//   - client side: the server certificate, at the handshake
//     (PeerCertificateCheck), which also names the node we expect to reach.
#ifndef ILP_SERVICES_SECURITY_CREDENTIALS_H_
#define ILP_SERVICES_SECURITY_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "ilp/v1/config.pb.h"
#include "services/pki/verifier.h"
#include "services/security/peer_auth.h"

namespace ilp {

// Checks a node's transport settings: with `insecure`, every listen address
// must be loopback; without it, tls.ca_file, cert_file and key_file must be
// set and readable. INVALID_ARGUMENT naming the field otherwise.
ABSL_MUST_USE_RESULT absl::Status ValidateTransportSecurity(const v1::NodeConfig& cfg);

// True for 127.0.0.0/8, ::1 and "localhost" hosts of a HOST:PORT address.
bool IsLoopbackAddress(const std::string& host_port);

// Server credentials: TLS 1.2+ with the node's certificate, client
// certificates requested (not required, so the health check stays open to
// load balancers) and verified per call by `auth`.
std::shared_ptr<grpc::ServerCredentials> NodeServerCredentials(
    const v1::TlsConfig& tls, std::shared_ptr<grpc::AuthMetadataProcessor> auth);

// Who a client expects at the other end of a channel.
struct ExpectedPeer {
  // Required node id; empty accepts any node of the district (ilpctl).
  std::string node_id;
};

// Channel credentials presenting `tls`'s certificate and accepting only a
// server whose certificate `verifier` accepts at `trusted_time` and whose
// identity matches `expected`. `verifier` must outlive the channel.
std::shared_ptr<grpc::ChannelCredentials> NodeChannelCredentials(const v1::TlsConfig& tls,
                                                                 const CertVerifier* verifier,
                                                                 TrustedTimeFn trusted_time,
                                                                 ExpectedPeer expected);

// Keepalive and reconnect settings shared by every channel a node or ilpctl
// opens: pings an idle connection every 60 s (a dead village link is noticed
// within 80 s), reconnects after at most `max_reconnect_backoff_ms`.
void SetClientChannelArgs(grpc::ChannelArguments* args, int max_reconnect_backoff_ms);

}  // namespace ilp

#endif  // ILP_SERVICES_SECURITY_CREDENTIALS_H_
