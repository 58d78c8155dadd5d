// District plans (services/plan): the Belu example plans, every rendered
// config loads as ilp-node would load it, bad plans are refused naming the
// node and the rule with nothing written, and a planned district runs over
// TLS with the certificates the plan issued.
#include "services/plan/plan.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/text_format.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/node/config.h"
#include "tests/common/node_process.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_pki.h"

#ifndef ILP_SOURCE_DIR
#error "ILP_SOURCE_DIR must point at the source tree"
#endif

namespace ilp {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TestPki;

v1::DistrictPlan Parse(const std::string& text) {
  v1::DistrictPlan p;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &p)) << text;
  return p;
}

// The node's config as written, with its files where the plan put them
// instead of /etc/ilp (as if copied there).
absl::StatusOr<v1::NodeConfig> LoadWritten(const std::string& out, const std::string& id) {
  const std::string dir = out + "/" + id;
  const std::string text = absl::StrReplaceAll(testing::ReadFile(dir + "/node.textproto"), {{"/etc/ilp", dir}});
  testing::WriteFile(dir + "/local.textproto", text);
  return LoadNodeConfig(dir + "/local.textproto");
}

TEST(PlanTest, TheBeluExamplePlansAndEveryNodeConfigLoads) {
  absl::StatusOr<v1::DistrictPlan> plan = plan::LoadPlan(ILP_SOURCE_DIR "/deploy/examples/belu.textproto");
  ASSERT_TRUE(plan.ok()) << plan.status();
  TestPki ca("belu");
  TempDir tmp;
  const std::string out = tmp.Sub("out");
  absl::StatusOr<plan::Applied> a = plan::ApplyPlan(*plan, ca.dir(), out);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->node_ids.size(), static_cast<size_t>(plan->nodes_size()));
  std::map<std::string, v1::NodeConfig> cfg;
  for (const std::string& id : a->node_ids) {
    absl::StatusOr<v1::NodeConfig> c = LoadWritten(out, id);
    ASSERT_TRUE(c.ok()) << id << ": " << c.status();
    cfg[id] = *c;
    struct stat st {};
    ASSERT_EQ(stat((out + "/" + id + "/tls/node.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << id << ": a private key is for its owner only";
  }
  // Links agree on both ends: each child names its parent's address, and the
  // parent lists the child with the child's area.
  for (const v1::PlannedNode& n : plan->nodes()) {
    if (n.parent().empty()) {
      EXPECT_TRUE(cfg[n.id()].parent_address().empty());
      continue;
    }
    const v1::PlannedNode* up = nullptr;
    for (const v1::PlannedNode& m : plan->nodes()) {
      if (m.id() == n.parent()) up = &m;
    }
    ASSERT_NE(up, nullptr);
    EXPECT_EQ(cfg[n.id()].parent_id(), up->id());
    EXPECT_EQ(cfg[n.id()].parent_address(), absl::StrCat(up->host(), ":7070"));
    bool listed = false;
    for (const v1::ChildConfig& c : cfg[up->id()].children()) {
      if (c.node_id() != n.id()) continue;
      listed = true;
      EXPECT_EQ(c.working_area_size(), n.working_area_size());
    }
    EXPECT_TRUE(listed) << up->id() << " does not list its child " << n.id();
  }
  EXPECT_EQ(cfg["pos-naitimu-a"].sync_interval_s(), 900u);
  EXPECT_EQ(cfg["pkm-halilulik"].sync_interval_s(), 120u);
  EXPECT_EQ(cfg["pos-naitimu-a"].listen_address(), "127.0.0.1:7070") << "a node without children serves local apps only";
  EXPECT_EQ(cfg["pkm-halilulik"].listen_address(), "0.0.0.0:7070");
}

constexpr char kSmall[] = R"pb(
  district: "belu"
  nodes { id: "dinkes-belu" tier: DISTRICT working_area: "5304" host: "10.0.0.1" }
  nodes { id: "pkm-halilulik" tier: PUSKESMAS working_area: "530405" parent: "dinkes-belu" host: "10.0.0.2" }
  nodes { id: "pos-naitimu" tier: POSYANDU working_area: "5304052001" parent: "pkm-halilulik" }
)pb";

struct BadPlan {
  const char* name;
  const char* change;  // appended to kSmall, or a replacement pair "from|to"
  const char* message;
};

TEST(PlanTest, BadPlansAreRefusedNamingTheNodeAndTheRuleWithNothingWritten) {
  const BadPlan cases[] = {
      {"child outside its parent's area",
       R"(nodes { id: "pos-x" tier: POSYANDU working_area: "5304062001" parent: "pkm-halilulik" })",
       "nodes[3].working_area[0]: \"5304062001\" lies outside the area of its parent pkm-halilulik (530405)"},
      {"duplicate id", R"(nodes { id: "pos-naitimu" tier: POSYANDU working_area: "5304052001" parent: "pkm-halilulik" })",
       "nodes[3].id: \"pos-naitimu\" is used twice (also nodes[2])"},
      {"unknown parent", R"(nodes { id: "pos-y" tier: POSYANDU working_area: "5304052001" parent: "pustu-nowhere" })",
       "nodes[3].parent: \"pustu-nowhere\" is no node of the plan"},
      {"second root", R"(nodes { id: "dinkes-tts" tier: DISTRICT working_area: "5302" host: "10.0.0.9" })",
       "nodes[3].parent: is empty, but nodes[0] (dinkes-belu) is already the root"},
      {"parent of lower tier",
       R"(nodes { id: "pustu-z" tier: PUSTU working_area: "5304052001" parent: "pos-naitimu" })",
       "nodes[3].parent: pos-naitimu (POSYANDU) must be of a higher tier than pustu-z (PUSTU)"},
      {"parent without a host",
       "parent: \"dinkes-belu\" host: \"10.0.0.2\"|parent: \"dinkes-belu\"",
       "nodes[1].host: is required: pkm-halilulik has children"},
      {"cycle", "nodes { id: \"dinkes-belu\" tier: DISTRICT working_area: \"5304\" host|"
                "nodes { id: \"dinkes-belu\" tier: DISTRICT working_area: \"5304\" parent: \"pkm-halilulik\" host",
       "must be of a higher tier"},
  };
  TestPki ca("belu");
  for (const BadPlan& c : cases) {
    std::string text = kSmall;
    const std::string change = c.change;
    if (size_t bar = change.find('|'); bar != std::string::npos) {
      text = absl::StrReplaceAll(text, {{change.substr(0, bar), change.substr(bar + 1)}});
      ASSERT_NE(text, kSmall) << c.name << ": the change does not apply";
    } else {
      text += change;
    }
    TempDir tmp;
    absl::StatusOr<plan::Applied> a = plan::ApplyPlan(Parse(text), ca.dir(), tmp.Sub("out"));
    ASSERT_FALSE(a.ok()) << c.name;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(a.status().message().find(c.message), std::string::npos) << c.name << ": " << a.status();
    EXPECT_FALSE(fs::exists(tmp.Sub("out"))) << c.name << ": a refused plan writes nothing";
  }
}

TEST(PlanTest, AnotherDistrictsCaOrAFullOutputDirIsRefused) {
  TestPki kupang("kupang");
  TempDir tmp;
  absl::StatusOr<plan::Applied> a = plan::ApplyPlan(Parse(kSmall), kupang.dir(), tmp.Sub("out"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(a.status().message().find("is district \"kupang\", the plan is for \"belu\""), std::string::npos)
      << a.status();
  TestPki belu("belu");
  testing::WriteFile(tmp.Sub("keep.txt"), "an operator's file");
  a = plan::ApplyPlan(Parse(kSmall), belu.dir(), tmp.path());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(testing::ReadFile(tmp.Sub("keep.txt")), "an operator's file");
}

TEST(PlanTest, ANodeConfigWithAChildOutsideItsAreaIsRefused) {
  v1::NodeConfig c;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    node_id: "pustu-oetete" tier: PUSTU working_area: "5371031001" listen_address: "127.0.0.1:0"
    data_dir: "/tmp/x" insecure: true
    children { node_id: "pos-a" working_area: "5371031001" }
    children { node_id: "pos-b" working_area: "5371032001" }
  )pb", &c));
  absl::Status st = ValidateNodeConfig(&c);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "children[1].working_area[0]: \"5371032001\" lies outside this node's working_area "
            "(5371031001): a child serves part of its parent's area");
}

// A free TCP port on 127.0.0.1 for a planned node (the plan needs the port
// before the node starts, so port 0 cannot be used).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(PlanTest, APlannedDistrictSyncsOverTlsWithThePlansCertificates) {
  TestPki ca("belu");
  TempDir tmp;
  const std::string text = absl::StrCat(
      "district: \"belu\" sync_interval_s { posyandu: 1 puskesmas: 1 }\n"
      "nodes { id: \"dinkes-belu\" tier: DISTRICT working_area: \"5304\" host: \"127.0.0.1\" port: ",
      FreePort(), " }\nnodes { id: \"pkm-halilulik\" tier: PUSKESMAS working_area: \"530405\" ",
      "parent: \"dinkes-belu\" host: \"127.0.0.1\" port: ", FreePort(),
      " }\nnodes { id: \"pos-naitimu\" tier: POSYANDU working_area: \"5304052001\" parent: \"pkm-halilulik\" port: ",
      FreePort(), " }\n");
  absl::StatusOr<plan::Applied> a = plan::ApplyPlan(Parse(text), ca.dir(), tmp.Sub("out"));
  ASSERT_TRUE(a.ok()) << a.status();
  std::map<std::string, std::unique_ptr<testing::NodeProcess>> nodes;
  for (const std::string& id : a->node_ids) {
    const std::string dir = tmp.Sub("out/" + id);
    const std::string cfg = absl::StrReplaceAll(testing::ReadFile(dir + "/node.textproto"),
                                                {{"/etc/ilp", dir}, {"/var/lib/ilp/data", dir + "/data"},
                                                 {"0.0.0.0:", "127.0.0.1:"}});
    nodes[id] = std::make_unique<testing::NodeProcess>(dir, cfg);
    ASSERT_TRUE(nodes[id]->Start()) << id << "\n" << testing::ReadFile(dir + "/node.log");
  }
  auto pos = v1::Records::NewStub(ca.Channel(nodes["pos-naitimu"]->address()));
  auto district = v1::Records::NewStub(ca.Channel(nodes["dinkes-belu"]->address()));
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name("Maria Planned");
  req.mutable_patient()->mutable_address()->set_village_code("5304052001");
  v1::Patient p;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = pos->CreatePatient(&ctx, req, &p);
  ASSERT_TRUE(s.ok()) << s.error_message();
  bool arrived = false;
  for (int i = 0; i < 600 && !arrived; ++i) {
    v1::GetPatientRequest get;
    get.set_id(p.id());
    v1::Patient got;
    grpc::ClientContext c2;
    c2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    arrived = district->GetPatient(&c2, get, &got).ok();
    if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling, 30 s at most
  }
  EXPECT_TRUE(arrived) << "the posyandu's record did not reach the district through the planned links";
}

}  // namespace
}  // namespace ilp
