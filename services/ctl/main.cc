// ilpctl: the operator's CLI for an ilp-node, over gRPC (docs/operations.md).
//
//   ilpctl --node 127.0.0.1:7070 status | tree [--stale 7d] | sync now [--wait]
//   ilpctl --node ... conflicts [--since 24h] | verify
//   ilpctl --node ... patient get ID | patient find --nik N | patient history ID
//   ilpctl --node ... tasks [--for NODE] | changes [--after SEQ] [--follow]
//   ilpctl pki init|issue-node|issue-operator|revoke --dir DIR ... (no node needed)
//
// Every command takes -o table (default) or -o json. Exit codes: 0 ok,
// 1 error, 2 usage, 3 node unreachable, 4 unhealthy or behind.
#include <grpcpp/grpcpp.h>

#include "CLI/CLI.hpp"
#include "services/ctl/commands.h"

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
  Runner run;
  AddAdminCommands(&app, &run);
  AddRecordsCommands(&app, &run);
  AddPkiCommands(&app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  if (!run) return kUsage;
  Ctl ctl;
  if (!app.got_subcommand("pki")) ctl.channel = grpc::CreateChannel(node, grpc::InsecureChannelCredentials());
  ctl.json = output == "json";
  ctl.timeout_s = timeout;
  return run(ctl);
}
