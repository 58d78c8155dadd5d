// plan check|apply: a district plan (services/plan/plan.h) turned into every
// node's config, certificate and key. These commands never contact a node.
#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "services/ctl/commands.h"
#include "services/plan/plan.h"

namespace ilp::ctl {
namespace {

struct Args {
  std::string file, ca_dir, out;
};

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "ilpctl: %s\n", std::string(s.message()).c_str());
  return kError;
}

// One line per node: id, tier, parent, area; or a JSON list.
int PrintPlan(const Ctl& c, const v1::DistrictPlan& p, const std::string& out) {
  if (c.json) {
    google::protobuf::Struct s;
    (*s.mutable_fields())["district"].set_string_value(p.district());
    (*s.mutable_fields())["nodes"].set_number_value(p.nodes_size());
    if (!out.empty()) (*s.mutable_fields())["out"].set_string_value(out);
    std::cout << Json(s) << "\n";
    return kOk;
  }
  std::printf("%-24s %-10s %-24s %s\n", "NODE", "TIER", "PARENT", "AREA");
  for (const v1::PlannedNode& n : p.nodes()) {
    std::printf("%-24s %-10s %-24s %s\n", n.id().c_str(), v1::Tier_Name(n.tier()).c_str(),
                n.parent().empty() ? "-" : n.parent().c_str(), absl::StrJoin(n.working_area(), ",").c_str());
  }
  std::printf("district %s: %d nodes%s\n", p.district().c_str(), p.nodes_size(),
              out.empty() ? ", plan is valid" : (", written to " + out + "/<node-id>/").c_str());
  return kOk;
}

int Check(const Ctl& c, const Args& a) {
  absl::StatusOr<v1::DistrictPlan> p = plan::LoadPlan(a.file);
  return p.ok() ? PrintPlan(c, *p, "") : Fail(p.status());
}

int Apply(const Ctl& c, const Args& a) {
  absl::StatusOr<v1::DistrictPlan> p = plan::LoadPlan(a.file);
  if (!p.ok()) return Fail(p.status());
  absl::StatusOr<plan::Applied> done = plan::ApplyPlan(*p, a.ca_dir, a.out);
  return done.ok() ? PrintPlan(c, *p, a.out) : Fail(done.status());
}

}  // namespace

void AddPlanCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto* plan = app->add_subcommand("plan", "a district plan: every node's config and certificate from one file");
  plan->require_subcommand(1);
  auto* check = plan->add_subcommand("check", "validate a plan and list its nodes");
  check->add_option("file", a->file, "the plan (DistrictPlan textproto)")->required();
  check->callback([a, run] { *run = [a](const Ctl& c) { return Check(c, *a); }; });
  auto* apply = plan->add_subcommand("apply", "write OUT/<node-id>/ (node.textproto, tls/) for every node");
  apply->add_option("file", a->file, "the plan (DistrictPlan textproto)")->required();
  apply->add_option("--ca-dir", a->ca_dir, "the district CA made by `ilpctl pki init`")->required();
  apply->add_option("--out", a->out, "a new or empty directory")->required();
  apply->callback([a, run] { *run = [a](const Ctl& c) { return Apply(c, *a); }; });
}

}  // namespace ilp::ctl
