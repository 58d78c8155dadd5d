// A district plan: one file describing every node of a district, turned into
// each node's config, certificate and key, consistent by construction
// (docs/deployment.md).
//
//   ILP_ASSIGN_OR_RETURN(v1::DistrictPlan plan, plan::LoadPlan("belu.textproto"));
//   ILP_ASSIGN_OR_RETURN(plan::Applied a, plan::ApplyPlan(plan, "/srv/ilp-ca", "out"));
//   // out/<node-id>/node.textproto and out/<node-id>/tls/{ca.crt,node.crt,node.key,crl/}:
//   // copy out/<node-id>/ to the node's config_dir (default /etc/ilp).
#ifndef ILP_SERVICES_PLAN_PLAN_H_
#define ILP_SERVICES_PLAN_PLAN_H_

#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ilp/v1/config.pb.h"
#include "ilp/v1/plan.pb.h"

namespace ilp::plan {

// Parses a plan (textproto, or JSON if the name ends in .json), checks it and
// fills defaults. INVALID_ARGUMENT names the file, the field
// (e.g. "nodes[3].working_area[0]") and the rule; NOT_FOUND if unreadable.
ABSL_MUST_USE_RESULT absl::StatusOr<v1::DistrictPlan> LoadPlan(const std::string& path);

// Checks a plan and fills its defaults: ids valid and unique, one root,
// every parent known, no cycles, a parent's tier above its child's, every
// child's area inside its parent's, a host for every node with children.
ABSL_MUST_USE_RESULT absl::Status ValidatePlan(v1::DistrictPlan* plan);

// One node's part of a valid plan.
struct NodePlan {
  v1::NodeConfig config;           // as the node will read it from config_dir
  std::vector<std::string> hosts;  // its certificate's DNS/IP names
};

// Every node's config, in plan order. REQUIRES: ValidatePlan passed.
std::vector<NodePlan> Render(const v1::DistrictPlan& plan);

struct Applied {
  std::vector<std::string> node_ids;
  std::string out_dir;
};

// Renders the plan, issues each node's certificate from the CA in `ca_dir`
// (whose district must be the plan's), and writes out/<id>/ for every node.
// FAILED_PRECONDITION if `out_dir` exists and is not empty (nothing is
// replaced) or the CA belongs to another district.
ABSL_MUST_USE_RESULT absl::StatusOr<Applied> ApplyPlan(const v1::DistrictPlan& plan, const std::string& ca_dir,
                                  const std::string& out_dir);

}  // namespace ilp::plan

#endif  // ILP_SERVICES_PLAN_PLAN_H_
