// A link that comes back is used at once (issue 10, item 7): after the parent
// has been down long enough for gRPC's own reconnect backoff to grow, the
// child's first session still comes within its sync interval plus 3 s of the
// parent's return (gRPC's own backoff would wait 6 to 10 s by then), and `ilpctl sync now --wait` waits for the connection
// instead of failing at once with "failed to connect to all addresses".
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <thread>

#include "tests/common/run_command.h"
#include "tests/replication/process_chain.h"

namespace ilp {
namespace {

using testing::Ilpctl;
using testing::NodeSet;
using testing::CreatePatientAt;
using testing::HasPatient;
using testing::WaitUntil;

constexpr char kMawar[] = "5371031001";
constexpr auto kInterval = std::chrono::seconds(1);  // sync_interval_s in NodeConfigText



NodeSet Pair() {
  return NodeSet({{"pustu-oetete", "PUSTU", kMawar, "", {{"pos-mawar", kMawar}}, {}},
                  {"pos-mawar", "POSYANDU", kMawar, "pustu-oetete", {}, {}}});
}

// The parent is away for 20 s: by then gRPC alone would wait 6 to 10 s
// between connection attempts (1 s initial backoff, x1.6 per failure). The
// bound below leaves 2 s for a loaded CI machine and still tells the two apart.
constexpr auto kOutage = std::chrono::seconds(20);

TEST(ReconnectProcessTest, TheFirstSyncComesWithinTheIntervalAfterTheParentReturns) {
  NodeSet n = Pair();
  ASSERT_TRUE(n.StartAll());
  const std::string before = CreatePatientAt(n.api("pos-mawar"), "Before Outage", kMawar);
  ASSERT_TRUE(WaitUntil([&] { return HasPatient(n.api("pustu-oetete"), before); }, 30));
  ASSERT_EQ(n.Stop("pustu-oetete"), 0);
  const std::string during = CreatePatientAt(n.api("pos-mawar"), "During Outage", kMawar);
  // The outage itself is what is being simulated, not a wait for a result.
  std::this_thread::sleep_for(kOutage);
  ASSERT_TRUE(n.Start("pustu-oetete"));
  const auto back = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] { return HasPatient(n.api("pustu-oetete"), during); }, 30));
  const auto took = std::chrono::steady_clock::now() - back;
  EXPECT_LE(took, kInterval + std::chrono::seconds(3))
      << "first sync came "
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms after the parent returned";
}

TEST(ReconnectProcessTest, SyncNowWaitsForTheConnectionOfAReturnedParent) {
  NodeSet n = Pair();
  ASSERT_TRUE(n.StartAll());
  ASSERT_EQ(n.Stop("pustu-oetete"), 0);
  // While the parent is away, `sync now --wait` reports the failure (exit 4).
  testing::CommandResult down = Ilpctl({"--node", n.addr("pos-mawar"), "sync", "now", "--wait"});
  EXPECT_EQ(down.exit_code, 4) << down.out << down.err;
  std::this_thread::sleep_for(kOutage);
  ASSERT_TRUE(n.Start("pustu-oetete"));
  const std::string id = CreatePatientAt(n.api("pos-mawar"), "After Return", kMawar);
  testing::CommandResult up = Ilpctl({"--node", n.addr("pos-mawar"), "sync", "now", "--wait"});
  EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_TRUE(HasPatient(n.api("pustu-oetete"), id)) << "sync now --wait returned before the record moved";
}

}  // namespace
}  // namespace ilp
