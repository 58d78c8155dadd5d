// ilpctl: the operator's CLI for an ilp-node, over gRPC (docs/operations.md).
//
//   ilpctl --node 127.0.0.1:7070 status | tree [--stale 7d] | sync now [--wait]
//   ilpctl --node ... conflicts [--since 24h] | verify | backup --out DIR
//   ilpctl --node ... patient get ID | patient find --nik N | patient history ID
//   ilpctl --node ... tasks [--for NODE] | changes [--after SEQ] [--follow]
//   ilpctl --node ... satusehat status [--limit N] | satusehat retry --held
//   ilpctl pki init|issue-node|issue-operator|revoke --dir DIR ... (no node needed)
//   ilpctl token keygen --dir DIR | token issue --key DIR/token.key --sub S --role R --area A... (no node)
//   ilpctl plan check FILE | plan apply FILE --ca-dir DIR --out DIR (no node needed)
//
// Every command takes -o table (default) or -o json. Exit codes: 0 ok,
// 1 error, 2 usage, 3 node unreachable, 4 unhealthy or behind.
//
// ilpctl speaks TLS with an operator certificate from the district CA:
// --ca, --cert and --key, or ILPCTL_CA, ILPCTL_CERT and ILPCTL_KEY.
// --insecure talks plaintext to a loopback node configured `insecure: true`.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "services/ctl/commands.h"
#include "services/pki/verifier.h"
#include "services/security/credentials.h"

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ilp::ctl;
  CLI::App app{"ilpctl: operate an ILP sync node"};
  app.require_subcommand(1);
  std::string node = "127.0.0.1:7070", output = "table";
  int timeout = 10;
  app.add_option("--node", node, "node address HOST:PORT")->capture_default_str();
  app.add_option("-o,--output", output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", timeout, "seconds per call")->capture_default_str();
  std::string ca = Env("ILPCTL_CA"), cert = Env("ILPCTL_CERT"), key = Env("ILPCTL_KEY");
  bool insecure = false;
  app.add_option("--ca", ca, "district CA certificate (or ILPCTL_CA)");
  app.add_option("--cert", cert, "operator or node certificate (or ILPCTL_CERT)");
  app.add_option("--key", key, "its private key (or ILPCTL_KEY)");
  app.add_flag("--insecure", insecure, "plaintext, for a loopback node set `insecure: true`");
  Runner run;
  AddAdminCommands(&app, &run);
  AddRecordsCommands(&app, &run);
  AddPkiCommands(&app, &run);
  AddPlanCommands(&app, &run);
  AddBackupCommands(&app, &run);
  AddTokenCommands(&app, &run);
  AddSatusehatCommands(&app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  if (!run) return kUsage;
  Ctl ctl;
  std::unique_ptr<ilp::pki::CertVerifier> verifier;
  grpc::ChannelArguments args;
  ilp::SetClientChannelArgs(&args, 1000);
  if (app.got_subcommand("pki") || app.got_subcommand("plan") || app.got_subcommand("token")) {
    // Offline commands: no node to reach.
  } else if (insecure) {
    if (!ilp::IsLoopbackAddress(node)) {
      std::cerr << "ilpctl: --insecure: only for a loopback --node, got " << node << "\n";
      return kUsage;
    }
    ctl.channel = grpc::CreateCustomChannel(node, grpc::InsecureChannelCredentials(), args);
  } else if (ca.empty() || cert.empty() || key.empty()) {
    std::cerr << "ilpctl: --ca, --cert and --key (or ILPCTL_CA, ILPCTL_CERT, ILPCTL_KEY) are "
                 "required to reach a node; make an operator certificate with "
                 "`ilpctl pki issue-operator`\n";
    return kUsage;
  } else {
    absl::StatusOr<std::unique_ptr<ilp::pki::CertVerifier>> v = ilp::pki::CertVerifier::Create(ca, "");
    if (!v.ok()) {
      std::cerr << "ilpctl: --ca: " << v.status().message() << "\n";
      return kUsage;
    }
    verifier = std::move(*v);
    ilp::v1::TlsConfig tls;
    tls.set_ca_file(ca);
    tls.set_cert_file(cert);
    tls.set_key_file(key);
    // The operator's own clock judges the node's certificate.
    auto now_s = [] {
      return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
    };
    ctl.channel = grpc::CreateCustomChannel(
        node, ilp::NodeChannelCredentials(tls, verifier.get(), now_s, ilp::ExpectedPeer{}), args);
  }
  ctl.json = output == "json";
  ctl.timeout_s = timeout;
  return run(ctl);
}
