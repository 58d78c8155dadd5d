#include "services/plan/plan.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/text_format.h"
#include "services/node/config.h"
#include "services/pki/ca.h"
#include "services/pki/identity.h"
#include "services/records/validate.h"
#include "storage/util/status_macros.h"

namespace ilp::plan {
namespace {

namespace fs = std::filesystem;

absl::Status Bad(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

std::string NodeField(int i, absl::string_view field) { return absl::StrCat("nodes[", i, "].", field); }

uint32_t TierInterval(const v1::DistrictPlan& p, v1::Tier tier) {
  switch (tier) {
    case v1::POSYANDU: return p.sync_interval_s().posyandu();
    case v1::PUSTU: return p.sync_interval_s().pustu();
    case v1::PUSKESMAS: return p.sync_interval_s().puskesmas();
    default: return p.sync_interval_s().district();
  }
}

void FillDefaults(v1::DistrictPlan* p) {
  if (p->port() == 0) p->set_port(7070);
  if (p->data_dir().empty()) p->set_data_dir("/var/lib/ilp/data");
  if (p->config_dir().empty()) p->set_config_dir("/etc/ilp");
  v1::SyncIntervals* s = p->mutable_sync_interval_s();
  if (s->posyandu() == 0) s->set_posyandu(900);
  if (s->pustu() == 0) s->set_pustu(300);
  if (s->puskesmas() == 0) s->set_puskesmas(120);
  if (s->district() == 0) s->set_district(60);
}

// Checks one node on its own (the links between nodes come after).
absl::Status ValidateNode(const v1::PlannedNode& n, int i) {
  ILP_RETURN_IF_ERROR(ValidateNodeId(n.id(), NodeField(i, "id")));
  if (n.tier() == v1::TIER_UNSPECIFIED || !v1::Tier_IsValid(n.tier())) {
    return Bad(NodeField(i, "tier"), "must be one of POSYANDU, PUSTU, PUSKESMAS, DISTRICT, PROVINCE");
  }
  if (n.working_area_size() == 0) return Bad(NodeField(i, "working_area"), "must list at least one area code");
  for (int j = 0; j < n.working_area_size(); ++j) {
    ILP_RETURN_IF_ERROR(ValidateAreaCode(n.working_area(j), NodeField(i, absl::StrCat("working_area[", j, "]"))));
  }
  if (!n.host().empty()) {
    if (absl::StatusOr<pki::HostSan> h = pki::ParseHost(n.host()); !h.ok()) {
      return Bad(NodeField(i, "host"), h.status().message());
    }
  }
  if (n.port() > 65535) return Bad(NodeField(i, "port"), "must be 1-65535");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePlan(v1::DistrictPlan* p) {
  if (absl::Status s = pki::ValidateDistrict(p->district()); !s.ok()) return Bad("district", s.message());
  if (p->nodes_size() == 0) return Bad("nodes", "must list the district's nodes");
  if (p->port() > 65535) return Bad("port", "must be 1-65535");
  FillDefaults(p);
  std::map<std::string, int> index;
  for (int i = 0; i < p->nodes_size(); ++i) {
    ILP_RETURN_IF_ERROR(ValidateNode(p->nodes(i), i));
    auto [it, fresh] = index.emplace(p->nodes(i).id(), i);
    if (!fresh) {
      return Bad(NodeField(i, "id"), absl::StrCat("\"", p->nodes(i).id(), "\" is used twice (also nodes[",
                                                  it->second, "])"));
    }
  }
  int root = -1;
  std::set<int> parents;
  for (int i = 0; i < p->nodes_size(); ++i) {
    const v1::PlannedNode& n = p->nodes(i);
    if (n.parent().empty()) {
      if (root >= 0) {
        return Bad(NodeField(i, "parent"), absl::StrCat("is empty, but nodes[", root, "] (", p->nodes(root).id(),
                                                        ") is already the root; a district has one"));
      }
      root = i;
      continue;
    }
    auto it = index.find(n.parent());
    if (it == index.end()) return Bad(NodeField(i, "parent"), absl::StrCat("\"", n.parent(), "\" is no node of the plan"));
    const v1::PlannedNode& up = p->nodes(it->second);
    if (up.tier() <= n.tier()) {
      return Bad(NodeField(i, "parent"), absl::StrCat(n.parent(), " (", v1::Tier_Name(up.tier()),
                                                      ") must be of a higher tier than ", n.id(), " (",
                                                      v1::Tier_Name(n.tier()), ")"));
    }
    for (int j = 0; j < n.working_area_size(); ++j) {
      if (!AreaWithin(n.working_area(j), up.working_area())) {
        return Bad(NodeField(i, absl::StrCat("working_area[", j, "]")),
                   absl::StrCat("\"", n.working_area(j), "\" lies outside the area of its parent ", up.id(), " (",
                                absl::StrJoin(up.working_area(), ", "), ")"));
      }
    }
    parents.insert(it->second);
  }
  if (root < 0) return Bad("nodes", "have no root: exactly one node (the district) has no parent");
  // Tiers rise strictly towards the parent, so a cycle is impossible once
  // that holds; walking up from each node still proves every node reaches
  // the root (the walk is bounded by the node count).
  for (int i = 0; i < p->nodes_size(); ++i) {
    int at = i;
    for (int steps = 0; !p->nodes(at).parent().empty(); ++steps) {
      if (steps > p->nodes_size()) return Bad(NodeField(i, "parent"), "the parents form a cycle");
      at = index.at(p->nodes(at).parent());
    }
  }
  for (int i : parents) {
    if (p->nodes(i).host().empty()) {
      return Bad(NodeField(i, "host"), absl::StrCat("is required: ", p->nodes(i).id(),
                                                    " has children, which dial it by this name or IP"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::DistrictPlan> LoadPlan(const std::string& path) {
  v1::DistrictPlan p;
  ILP_RETURN_IF_ERROR(LoadMessageFile(path, "plan", &p));
  absl::Status st = ValidatePlan(&p);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("plan ", path, ": ", st.message()));
  return p;
}

std::vector<NodePlan> Render(const v1::DistrictPlan& p) {
  std::map<std::string, const v1::PlannedNode*> by_id;
  for (const v1::PlannedNode& n : p.nodes()) by_id[n.id()] = &n;
  const std::string tls = p.config_dir() + "/tls";
  std::vector<NodePlan> out;
  for (const v1::PlannedNode& n : p.nodes()) {
    NodePlan np;
    v1::NodeConfig& c = np.config;
    const uint32_t port = n.port() ? n.port() : p.port();
    c.set_node_id(n.id());
    c.set_tier(n.tier());
    *c.mutable_working_area() = n.working_area();
    // A node others dial listens on every interface; the rest only for apps
    // on the same machine.
    c.set_listen_address(absl::StrCat(n.host().empty() ? "127.0.0.1" : "0.0.0.0", ":", port));
    c.set_data_dir(p.data_dir());
    c.mutable_tls()->set_ca_file(tls + "/ca.crt");
    c.mutable_tls()->set_cert_file(tls + "/node.crt");
    c.mutable_tls()->set_key_file(tls + "/node.key");
    c.mutable_tls()->set_crl_dir(tls + "/crl");
    if (!n.parent().empty()) {
      const v1::PlannedNode& up = *by_id.at(n.parent());
      c.set_parent_id(up.id());
      c.set_parent_address(absl::StrCat(up.host(), ":", up.port() ? up.port() : p.port()));
      c.set_sync_interval_s(n.sync_interval_s() ? n.sync_interval_s() : TierInterval(p, n.tier()));
    }
    for (const v1::PlannedNode& child : p.nodes()) {
      if (child.parent() != n.id()) continue;
      v1::ChildConfig* cc = c.add_children();
      cc->set_node_id(child.id());
      *cc->mutable_working_area() = child.working_area();
    }
    if (!n.host().empty()) np.hosts.push_back(n.host());
    np.hosts.push_back("localhost");  // apps and ilpctl on the node's own machine
    np.hosts.push_back("127.0.0.1");
    out.push_back(std::move(np));
  }
  return out;
}

namespace {

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  f.close();
  if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status Copy(const std::string& from, const std::string& to, fs::perms perms) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::permissions(to, perms, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot copy ", from, " to ", to, ": ", ec.message()));
  return absl::OkStatus();
}

// Writes one node's directory: node.textproto and tls/. Its config is then
// loaded back with the tls paths pointing here, as the node will load it.
absl::Status WriteNode(const v1::DistrictPlan& p, const NodePlan& np, const pki::IssuedCert& cert,
                       const std::string& ca_dir, const std::string& dir) {
  const std::string tls = dir + "/tls";
  std::error_code ec;
  fs::create_directories(tls + "/crl", ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", tls, ": ", ec.message()));
  const auto pub = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
  ILP_RETURN_IF_ERROR(Copy(ca_dir + "/ca.crt", tls + "/ca.crt", pub));
  ILP_RETURN_IF_ERROR(Copy(cert.cert_path, tls + "/node.crt", pub));
  ILP_RETURN_IF_ERROR(Copy(cert.key_path, tls + "/node.key", fs::perms::owner_read | fs::perms::owner_write));
  for (const fs::directory_entry& e : fs::directory_iterator(ca_dir + "/crl", ec)) {
    ILP_RETURN_IF_ERROR(Copy(e.path().string(), tls + "/crl/" + e.path().filename().string(), pub));
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(np.config, &text);
  ILP_RETURN_IF_ERROR(WriteText(dir + "/node.textproto", absl::StrCat(
      "# ilp-node config for ", np.config.node_id(), ", written by `ilpctl plan apply` for district ",
      p.district(), ".\n# Copy this directory to ", p.config_dir(), " on the node's machine.\n", text)));
  v1::NodeConfig here = np.config;
  for (std::string* f : {here.mutable_tls()->mutable_ca_file(), here.mutable_tls()->mutable_cert_file(),
                         here.mutable_tls()->mutable_key_file(), here.mutable_tls()->mutable_crl_dir()}) {
    *f = absl::StrReplaceAll(*f, {{p.config_dir(), dir}});
  }
  absl::Status st = ValidateNodeConfig(&here);
  if (!st.ok()) return absl::InternalError(absl::StrCat("plan rendered a bad config for ", np.config.node_id(), ": ", st.message()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Applied> ApplyPlan(const v1::DistrictPlan& plan, const std::string& ca_dir,
                                  const std::string& out_dir) {
  v1::DistrictPlan p = plan;
  ILP_RETURN_IF_ERROR(ValidatePlan(&p));
  ILP_ASSIGN_OR_RETURN(std::string district, pki::CaDistrict(ca_dir));
  if (district != p.district()) {
    return absl::FailedPreconditionError(absl::StrCat("the CA in ", ca_dir, " is district \"", district,
                                                      "\", the plan is for \"", p.district(), "\""));
  }
  std::error_code ec;
  if (fs::exists(out_dir) && !fs::is_empty(out_dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--out ", out_dir, ": exists and is not empty; plan into a new directory (nothing was replaced)"));
  }
  Applied a{{}, out_dir};
  for (const NodePlan& np : Render(p)) {
    const std::string& id = np.config.node_id();
    ILP_ASSIGN_OR_RETURN(pki::IssuedCert cert, pki::IssueNode(ca_dir, id, np.hosts, pki::kDefaultLeafDays));
    ILP_RETURN_IF_ERROR(WriteNode(p, np, cert, ca_dir, out_dir + "/" + id));
    a.node_ids.push_back(id);
  }
  return a;
}

}  // namespace ilp::plan
