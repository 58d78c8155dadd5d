#include "services/security/credentials.h"

#include <arpa/inet.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ilp {
namespace {

namespace gx = grpc::experimental;

constexpr int kCertRefreshS = 60;

absl::Status Readable(const std::string& path, absl::string_view field) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": is required (or set `insecure: true`, allowed on loopback addresses only)"));
  }
  if (access(path.c_str(), R_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": cannot read ", path));
  }
  return absl::OkStatus();
}

std::shared_ptr<gx::FileWatcherCertificateProvider> Provider(const v1::TlsConfig& tls) {
  return std::make_shared<gx::FileWatcherCertificateProvider>(tls.key_file(), tls.cert_file(),
                                                              tls.ca_file(), kCertRefreshS);
}

// Verifies the server's certificate at the handshake, on trusted time.
class PeerCertificateCheck : public gx::ExternalCertificateVerifier {
 public:
  PeerCertificateCheck(const CertVerifier* verifier, TrustedTimeFn trusted_time,
                       ExpectedPeer expected)
      : verifier_(verifier), trusted_time_(std::move(trusted_time)), expected_(std::move(expected)) {}

  bool Verify(gx::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    *sync_status = Check(request);
    return true;  // synchronous
  }
  void Cancel(gx::TlsCustomVerificationCheckRequest*) override {}

 private:
  grpc::Status Check(gx::TlsCustomVerificationCheckRequest* request) const {
    const grpc::string_ref leaf = request->peer_cert();
    const grpc::string_ref chain = request->peer_cert_full_chain();
    absl::StatusOr<PeerIdentity> id =
        verifier_->Verify(absl::string_view(leaf.data(), leaf.size()),
                          absl::string_view(chain.data(), chain.size()), trusted_time_());
    if (!id.ok()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat("server certificate refused: ", id.status().message()));
    }
    if (id->kind != PeerIdentity::kNode) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat("server certificate is an operator's (", id->id,
                                       "), not a node's"));
    }
    if (!expected_.node_id.empty() && id->id != expected_.node_id) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat("server is node ", id->id, ", expected ", expected_.node_id));
    }
    return grpc::Status::OK;
  }

  const CertVerifier* const verifier_;
  const TrustedTimeFn trusted_time_;
  const ExpectedPeer expected_;
};

}  // namespace

bool IsLoopbackAddress(const std::string& host_port) {
  std::string host = host_port.substr(0, host_port.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

absl::Status ValidateTransportSecurity(const v1::NodeConfig& cfg) {
  if (cfg.insecure()) {
    for (const auto& [field, addr] : {std::pair<const char*, std::string>{"listen_address", cfg.listen_address()},
                                      {"metrics_listen", cfg.metrics_listen()},
                                      {"parent_address", cfg.parent_address()}}) {
      if (!addr.empty() && !IsLoopbackAddress(addr)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "insecure: plaintext is allowed only on loopback, but ", field, " is ", addr));
      }
    }
    return absl::OkStatus();
  }
  if (!cfg.has_tls()) {
    return absl::InvalidArgumentError(
        "tls: is required (ca_file, cert_file, key_file from `ilpctl pki`); plaintext needs "
        "`insecure: true` and loopback addresses");
  }
  if (absl::Status s = Readable(cfg.tls().ca_file(), "tls.ca_file"); !s.ok()) return s;
  if (absl::Status s = Readable(cfg.tls().cert_file(), "tls.cert_file"); !s.ok()) return s;
  if (absl::Status s = Readable(cfg.tls().key_file(), "tls.key_file"); !s.ok()) return s;
  if (!cfg.tls().crl_dir().empty() && access(cfg.tls().crl_dir().c_str(), R_OK | X_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.crl_dir: cannot read directory ", cfg.tls().crl_dir()));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> NodeServerCredentials(
    const v1::TlsConfig& tls, std::shared_ptr<grpc::AuthMetadataProcessor> auth) {
  gx::TlsServerCredentialsOptions opts(Provider(tls));
  opts.watch_root_certs();
  opts.watch_identity_key_cert_pairs();
  // Requested but checked by PeerAuthProcessor on trusted time, per call.
  opts.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  std::shared_ptr<grpc::ServerCredentials> creds = gx::TlsServerCredentials(opts);
  creds->SetAuthMetadataProcessor(std::move(auth));
  return creds;
}

std::shared_ptr<grpc::ChannelCredentials> NodeChannelCredentials(const v1::TlsConfig& tls,
                                                                 const CertVerifier* verifier,
                                                                 TrustedTimeFn trusted_time,
                                                                 ExpectedPeer expected) {
  gx::TlsChannelCredentialsOptions opts;
  opts.set_certificate_provider(Provider(tls));
  opts.watch_root_certs();
  opts.watch_identity_key_cert_pairs();
  opts.set_verify_server_certs(false);  // PeerCertificateCheck does it, on trusted time
  opts.set_check_call_host(false);      // identity is the SPIFFE id, not the dialled name
  opts.set_certificate_verifier(gx::ExternalCertificateVerifier::Create<PeerCertificateCheck>(
      verifier, std::move(trusted_time), std::move(expected)));
  return gx::TlsCredentials(opts);
}

void SetClientChannelArgs(grpc::ChannelArguments* args, int max_reconnect_backoff_ms) {
  args->SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  args->SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  args->SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args->SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // No bandwidth-probe pings: on a village link every frame costs bytes.
  args->SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  // TLS session resumption when a dropped link reconnects (the cache lives
  // with the channel; the arg holds its own reference).
  grpc_ssl_session_cache* cache = grpc_ssl_session_cache_create_lru(4);
  grpc_arg arg = grpc_ssl_session_cache_create_channel_arg(cache);
  args->SetPointerWithVtable(arg.key, arg.value.pointer.p, arg.value.pointer.vtable);
  grpc_ssl_session_cache_destroy(cache);
  args->SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 1000);
  // (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS stays at its 20 s default: gRPC also
  // uses it as the connect timeout, and a TLS handshake over 2G takes seconds.)
  args->SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_reconnect_backoff_ms);
}

}  // namespace ilp
