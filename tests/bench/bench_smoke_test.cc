// ilp-bench works and prints what scripts rely on: a small run (no timings
// asserted; the figures live in docs/performance.md).
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/common/run_command.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

google::protobuf::Struct LastJsonLine(const std::string& out) {
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  google::protobuf::Struct s;
  EXPECT_FALSE(lines.empty());
  if (!lines.empty()) {
    auto st = google::protobuf::util::JsonStringToMessage(lines.back(), &s);
    EXPECT_TRUE(st.ok()) << st.ToString() << ": " << lines.back();
  }
  return s;
}

TEST(BenchSmokeTest, ChainRunPrintsEveryKeyTheIssueNames) {
  testing::CommandResult r = testing::RunCommand({std::string(ILP_BIN_DIR) + "/ilp-bench", "--n", "300"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  google::protobuf::Struct s = LastJsonLine(r.out);
  const auto& f = s.fields();
  for (const char* key : {"n", "e2e_seconds", "records_per_s", "wire_bytes_per_visit", "zstd_bytes_per_visit",
                          "idle_resync_bytes_per_hop", "idle_resync_ms_per_hop", "same_kv_raw_changes_per_s",
                          "apply_records_per_s", "apply_vs_same_kv_raw", "peak_rss_mib",
                          "store_bytes_per_visit"}) {
    EXPECT_TRUE(f.count(key)) << key;
  }
  EXPECT_EQ(f.at("n").number_value(), 300);
  EXPECT_GT(f.at("e2e_seconds").number_value(), 0);
  EXPECT_GT(f.at("wire_bytes_per_visit").number_value(), 0);
  EXPECT_EQ(f.at("failed_sessions").number_value(), 0);
  const auto& rss = f.at("peak_rss_mib").struct_value().fields();
  for (const char* tier : {"posyandu", "pustu", "puskesmas", "district"}) {
    ASSERT_TRUE(rss.count(tier)) << tier;
    EXPECT_GT(rss.at(tier).number_value(), 1) << tier;
    EXPECT_GT(f.at("store_bytes_per_visit").struct_value().fields().at(tier).number_value(), 0) << tier;
    // Each node's memory was sampled through its status while the chain ran.
    const std::string line = std::string("memory MiB, sampled, ") + tier;
    const size_t at = r.out.find(line);
    ASSERT_NE(at, std::string::npos) << line << " in\n" << r.out;
    const std::string rest = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_NE(rest.find(" resident: block cache "), std::string::npos) << rest;
    EXPECT_EQ(rest.find("(0 samples)"), std::string::npos) << rest;
  }
}

TEST(BenchSmokeTest, SlowLinkRunMovesTheSessionOverTheShapedLink) {
  testing::CommandResult r = testing::RunCommand({std::string(ILP_BIN_DIR) + "/ilp-bench", "--slow-link", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  google::protobuf::Struct s = LastJsonLine(r.out);
  const auto& f = s.fields();
  // 3 patients + 3 encounters + their 3-5 observations each.
  EXPECT_GE(f.at("slow_link_changes").number_value(), 3 + 3 + 9);
  // At 64 kbit/s and 600 ms round trips a session takes over a second.
  EXPECT_GT(f.at("slow_link_session_s").number_value(), 1.2);
  EXPECT_GE(f.at("slow_link_round_trips").number_value(), 3);
  EXPECT_TRUE(f.at("slow_link_idle_ok").bool_value());
}

// Each micro-benchmark runs every case at least once without an error: a
// case that fails (SkipWithError) still exits 0, so the output is read.
// (apply_bench refused every batch as duplicates for a day unnoticed.)
TEST(BenchSmokeTest, MicroBenchmarksRunEveryCaseWithoutError) {
  for (const char* bench : {"merge_bench", "apply_bench", "columnar_bench", "read_audit_bench"}) {
    testing::CommandResult r =
        testing::RunCommand({std::string(ILP_BIN_DIR) + "/" + bench, "--benchmark_min_time=0.001"});
    EXPECT_EQ(r.exit_code, 0) << bench << r.out << r.err;
    EXPECT_EQ(r.out.find("ERROR OCCURRED"), std::string::npos) << bench << ": " << r.out;
    EXPECT_NE(r.out.find("BM_"), std::string::npos) << bench << " ran no case: " << r.out << r.err;
  }
}

TEST(BenchSmokeTest, StoreTuneRecompactsAStoreAndTimesItsReads) {
  testing::TempDir dir;
  testing::CommandResult chain = testing::RunCommand(
      {std::string(ILP_BIN_DIR) + "/ilp-bench", "--n", "100", "--keep", "--work-dir", dir.path() + "/run"});
  ASSERT_EQ(chain.exit_code, 0) << chain.out << chain.err;
  testing::CommandResult r =
      testing::RunCommand({std::string(ILP_BIN_DIR) + "/store_tune", "--dir", dir.path() + "/run/chain/pustu-oetete/data",
                           "--block-kib", "16", "--reads", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("records "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(16 KiB blocks, zstd level 3;"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("random Get of "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ilp
