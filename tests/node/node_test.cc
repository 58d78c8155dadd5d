// The ilp-node daemon as an operator meets it: config errors are one line
// naming the field, and SIGTERM stops it cleanly with its data intact.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/node/config.h"
#include "tests/common/node_process.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_pki.h"

namespace ilp {
namespace {

struct ConfigCase {
  const char* name;
  const char* text;
  const char* expect;  // substring of the one-line error
};

TEST(NodeConfigTest, AMissingOrWrongFieldIsNamedInOneLine) {
  const std::string ok_tail = "listen_address: \"127.0.0.1:0\"\ndata_dir: \"/tmp/x\"\n";
  const ConfigCase cases[] = {
      {"no node id", "tier: PUSTU\nworking_area: \"5371031001\"\n", "node_id"},
      {"bad node id", "node_id: \"pus b\"\ntier: PUSTU\nworking_area: \"5371031001\"\n", "node_id"},
      {"no tier", "node_id: \"pus-b\"\nworking_area: \"5371031001\"\n", "tier"},
      {"no area", "node_id: \"pus-b\"\ntier: PUSTU\n", "working_area"},
      {"bad area", "node_id: \"pus-b\"\ntier: PUSTU\nworking_area: \"53.71\"\n", "working_area[0]"},
      {"parent without id", "node_id: \"pus-b\"\ntier: PUSTU\nworking_area: \"5371031001\"\nparent_address: \"127.0.0.1:1\"\n", "parent"},
      // Found by tests/fuzz/config_fuzz: text escapes can spell bytes that are not UTF-8.
      {"not UTF-8", "node_id: \"pus-b\"\ntier: PUSTU\nworking_area: \"5371031001\"\n"
       "tls { ca_file: \"ca\\255.crt\" }\n", "tls.ca_file: is not valid UTF-8"},
      {"unknown field", "node_id: \"pus-b\"\ntier: PUSTU\nworking_area: \"5371031001\"\ncolour: 3\n", "colour"},
  };
  testing::TempDir dir;
  for (const ConfigCase& c : cases) {
    const std::string path = dir.Sub("c.textproto");
    std::string text = c.text;
    if (std::string(c.name) != "unknown field") text += ok_tail;
    testing::WriteFile(path, text);
    absl::StatusOr<v1::NodeConfig> cfg = LoadNodeConfig(path);
    ASSERT_FALSE(cfg.ok()) << c.name;
    EXPECT_EQ(cfg.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    const std::string msg(cfg.status().message());
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.name << ": " << msg;
  }
  EXPECT_EQ(LoadNodeConfig(dir.Sub("missing.textproto")).status().code(), absl::StatusCode::kNotFound);
}

TEST(NodeConfigTest, JsonConfigLoadsWithDefaults) {
  testing::TempDir dir;
  testing::WriteFile(dir.Sub("n.json"),
                     R"({"nodeId":"pos-a","tier":"POSYANDU","workingArea":["5371031001"],)"
                     R"("listenAddress":"127.0.0.1:0","dataDir":"/tmp/d",)"
                     R"("parentAddress":"127.0.0.1:7000","parentId":"pus-b","insecure":true})");
  absl::StatusOr<v1::NodeConfig> cfg = LoadNodeConfig(dir.Sub("n.json"));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->sync_interval_s(), 60u);
  EXPECT_EQ(cfg->max_batch_bytes(), 256u * 1024);
}

TEST(NodeDaemonTest, BadConfigExitsWithOneLineNamingTheField) {
  testing::TempDir dir;
  testing::WriteFile(dir.Sub("bad.textproto"), "node_id: \"pos-a\"\ntier: POSYANDU\n");
  const std::string cmd = absl::StrCat(ILP_BIN_DIR, "/ilp-node --config ", dir.Sub("bad.textproto"),
                                       " 2>", dir.Sub("err"));
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string err = testing::ReadFile(dir.Sub("err"));
  EXPECT_NE(err.find("working_area"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(NodeDaemonTest, SigtermStopsCleanlyAndDataSurvivesRestart) {
  testing::TempDir dir;
  const std::string config = absl::StrCat(
      "node_id: \"pus-b\"\ntier: PUSTU\nworking_area: \"5371031001\"\n"
      "listen_address: \"127.0.0.1:0\"\ndata_dir: \"", dir.Sub("data"), "\"\n");
  std::string id;
  {
    testing::NodeProcess node(dir.path(), config);
    ASSERT_TRUE(node.Start());
    auto stub = v1::Records::NewStub(testing::TestPki::Default().Channel(node.address()));
    v1::CreatePatientRequest req;
    req.mutable_patient()->set_name("Maria Bria");
    // An app write places the patient in the token's area (docs/security.md).
    req.mutable_patient()->mutable_address()->set_village_code("5371031001");
    grpc::ClientContext ctx;
    v1::Patient p;
    ASSERT_TRUE(stub->CreatePatient(&ctx, req, &p).ok());
    id = p.id();
    EXPECT_EQ(node.Stop(), 0);
  }
  testing::NodeProcess node(dir.path(), config);
  ASSERT_TRUE(node.Start());
  auto stub = v1::Records::NewStub(testing::TestPki::Default().Channel(node.address()));
  v1::GetPatientRequest get;
  get.set_id(id);
  grpc::ClientContext ctx;
  v1::Patient p;
  ASSERT_TRUE(stub->GetPatient(&ctx, get, &p).ok());
  EXPECT_EQ(p.name(), "Maria Bria");
}

}  // namespace
}  // namespace ilp
