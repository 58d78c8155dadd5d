// pki init, issue-node, issue-operator, revoke: the district CA on local files
// (services/pki/ca.h). These commands never contact a node.
#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "google/protobuf/struct.pb.h"
#include "services/ctl/commands.h"
#include "services/pki/ca.h"
#include "services/pki/identity.h"

namespace ilp::ctl {
namespace {

// Flags of every pki subcommand (only the chosen one's are set).
struct Args {
  std::string dir, district, node_id, name, serial;
  std::vector<std::string> hosts;
  int days = 0;  // 0: the command's default
};

// Prints "ilpctl: <message>" on stderr; returns exit code 1.
int FailStatus(const absl::Status& s) {
  std::fprintf(stderr, "ilpctl: %s\n", std::string(s.message()).c_str());
  return kError;
}

// Prints `fields` as aligned "key  value" lines, or as one JSON object.
int Print(const Ctl& c, const std::vector<std::pair<std::string, std::string>>& fields) {
  if (c.json) {
    google::protobuf::Struct s;
    for (const auto& [k, v] : fields) (*s.mutable_fields())[k].set_string_value(v);
    std::cout << Json(s) << "\n";
  } else {
    for (const auto& [k, v] : fields) std::printf("%-10s %s\n", k.c_str(), v.c_str());
  }
  return kOk;
}

// Prints what issue-node / issue-operator made.
int PrintIssued(const Ctl& c, const pki::IssuedCert& ic) {
  return Print(c, {{"cert_path", ic.cert_path},
                   {"key_path", ic.key_path},
                   {"serial_hex", ic.serial_hex},
                   {"spiffe_id", ic.spiffe_id},
                   {"not_after", pki::FormatUnixTime(ic.not_after)}});
}

// The runners: each calls services/pki/ca.h and prints the result.
int Init(const Ctl& c, const Args& a) {
  absl::Status s = pki::InitCa(a.dir, a.district, a.days ? a.days : pki::kDefaultCaDays);
  if (!s.ok()) return FailStatus(s);
  return Print(c, {{"ca_cert", a.dir + "/ca.crt"}, {"ca_key", a.dir + "/ca.key"}, {"district", a.district}});
}

int IssueNode(const Ctl& c, const Args& a) {
  auto ic = pki::IssueNode(a.dir, a.node_id, a.hosts, a.days ? a.days : pki::kDefaultLeafDays);
  return ic.ok() ? PrintIssued(c, *ic) : FailStatus(ic.status());
}

int IssueOperator(const Ctl& c, const Args& a) {
  auto ic = pki::IssueOperator(a.dir, a.name, a.days ? a.days : pki::kDefaultLeafDays);
  return ic.ok() ? PrintIssued(c, *ic) : FailStatus(ic.status());
}

int Revoke(const Ctl& c, const Args& a) {
  auto r = pki::Revoke(a.dir, a.serial);
  if (!r.ok()) return FailStatus(r.status());
  return Print(c, {{"serial_hex", r->serial_hex},
                   {"revoked", r->kind + " " + r->id},
                   {"crl_path", r->crl_path},
                   {"crl_number", std::to_string(r->crl_number)},
                   {"status", r->already_revoked ? "already revoked, nothing changed" : "revoked"}});
}

}  // namespace

void AddPkiCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto bind = [a, run](int (*fn)(const Ctl&, const Args&)) {
    return [a, run, fn] { *run = [a, fn](const Ctl& c) { return fn(c, *a); }; };
  };
  auto* pki = app->add_subcommand("pki", "the district CA: issue and revoke node and operator certificates");
  pki->require_subcommand(1);
  auto dir = [a](CLI::App* cmd) { cmd->add_option("--dir", a->dir, "the CA directory")->required(); };
  auto days = [a](CLI::App* cmd, int dflt) {
    cmd->add_option("--days", a->days, "validity in days (default " + std::to_string(dflt) + ")");
  };

  auto* init = pki->add_subcommand("init", "create a district CA in --dir (refuses if one exists)");
  dir(init);
  init->add_option("--district", a->district, "district name, e.g. kupang")->required();
  days(init, pki::kDefaultCaDays);
  init->callback(bind(Init));

  auto* node = pki->add_subcommand("issue-node", "issue DIR/<node-id>.crt and .key for an ilp-node");
  dir(node);
  node->add_option("--node-id", a->node_id, "the node's id")->required();
  node->add_option("--host", a->hosts, "DNS name or IP the node is dialled by (repeatable)");
  days(node, pki::kDefaultLeafDays);
  node->callback(bind(IssueNode));

  auto* op = pki->add_subcommand("issue-operator", "issue DIR/operator-<name>.crt and .key for ilpctl");
  dir(op);
  op->add_option("--name", a->name, "the operator's name")->required();
  days(op, pki::kDefaultLeafDays);
  op->callback(bind(IssueOperator));

  auto* revoke = pki->add_subcommand("revoke", "revoke a certificate by serial and re-sign the CRL");
  dir(revoke);
  revoke->add_option("--serial", a->serial, "serial number in hex (see DIR/index.txt)")->required();
  revoke->callback(bind(Revoke));
}

}  // namespace ilp::ctl
