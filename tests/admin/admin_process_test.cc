// ilpctl and /metrics against a real ilp-node process: what an operator
// sees while it runs, and after it dies (exit 3 on every command).
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/common/node_process.h"
#include "tests/common/run_command.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

using testing::CommandResult;
using testing::Ilpctl;

TEST(AdminProcessTest, LiveNodeAnswersAndADeadNodeExitsThree) {
  testing::TempDir dir;
  testing::NodeProcess node(dir.path(), absl::StrCat(
      "node_id: \"pkm-oebobo\" tier: PUSKESMAS working_area: \"537103\"\n"
      "listen_address: \"127.0.0.1:0\" metrics_listen: \"127.0.0.1:0\"\n"
      "data_dir: \"", dir.Sub("data"), "\"\n"
      "children { node_id: \"pustu-oetete\" working_area: \"5371031001\" }\n"));
  ASSERT_TRUE(node.Start());
  ASSERT_FALSE(node.metrics_address().empty());

  CommandResult status = Ilpctl({"--node", node.address(), "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("pkm-oebobo (PUSKESMAS)"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("pustu-oetete"), std::string::npos) << status.out;
  // A child that never synced shows as such in the tree.
  CommandResult tree = Ilpctl({"--node", node.address(), "tree", "--stale", "7d"});
  EXPECT_EQ(tree.exit_code, 4);
  EXPECT_NE(tree.out.find("never"), std::string::npos) << tree.out;

  testing::HttpResponse m = testing::HttpGet(node.metrics_address(), "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("ilp_up{node=\"pkm-oebobo\",tier=\"PUSKESMAS\"} 1"), std::string::npos) << m.body;

  const std::string addr = node.address();
  ASSERT_EQ(node.Stop(), 0);
  for (std::vector<std::string> cmd :
       std::vector<std::vector<std::string>>{{"status"}, {"tree"}, {"verify"}, {"sync", "now"},
                                             {"conflicts"}, {"patient", "find", "--name", "Siti"},
                                             {"-o", "json", "status"}}) {
    cmd.insert(cmd.begin(), {"--node", addr, "--timeout", "2"});
    CommandResult r = Ilpctl(cmd);
    EXPECT_EQ(r.exit_code, 3) << cmd.back() << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("node unreachable"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace ilp
