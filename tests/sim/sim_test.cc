// The district simulation as a test: a few small seeds pass every invariant,
// and a seed replays to the same digest of every store.
#include <gtest/gtest.h>

#include "spdlog/spdlog.h"
#include "tests/sim/simulation.h"

namespace ilp::sim {
namespace {

SimOptions Tiny(uint64_t seed) {
  SimOptions o;
  o.seed = seed;
  o.size_name = "tiny";
  o.size = *SizeByName("tiny");
  o.fault_days = 7;
  return o;
}

void ExpectPasses(const SimResult& r) {
  std::printf("%s\n", r.Summary().c_str());
  EXPECT_TRUE(r.failures.empty()) << "replay: " << r.Replay();
  for (const std::string& f : r.failures) ADD_FAILURE() << f;
  EXPECT_GT(r.sessions, 0);
  EXPECT_GT(r.acked_records, 0);
}

TEST(SimTest, TinyDistrictSeedsKeepEveryInvariant) {
  spdlog::set_level(spdlog::level::err);
  for (uint64_t seed : {1, 2, 3}) ExpectPasses(RunSeed(Tiny(seed)));
}

TEST(SimTest, ASeedReplaysExactly) {
  spdlog::set_level(spdlog::level::err);
  SimResult a = RunSeed(Tiny(11)), b = RunSeed(Tiny(11)), c = RunSeed(Tiny(12));
  ExpectPasses(a);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.sessions, b.sessions);
  EXPECT_EQ(a.crashes, b.crashes);
  EXPECT_NE(a.digest, c.digest);  // the digest does see the seed
}

}  // namespace
}  // namespace ilp::sim
