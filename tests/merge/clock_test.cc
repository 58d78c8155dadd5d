// Wrong device clocks (scenario 7): a clock set years back must not lose its
// edits forever, and one set a year ahead must not override everyone else's.
#include <gtest/gtest.h>

#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/merge/stamp.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kSkew = 300'000;

TEST(ClockTest, StampsIncreaseAndCarryTheNode) {
  FakeClock clock(kT0);
  HybridClock hlc(&clock, "pos-a", false, kSkew);
  v1::Stamp a = hlc.Now(), b = hlc.Now();
  EXPECT_TRUE(StampLess(a, b));
  EXPECT_EQ(b.node(), "pos-a");
}

TEST(ClockTest, RootAnchorsToItsOwnClockOthersLearnItFromStamps) {
  FakeClock district_clock(kT0), posyandu_clock(kT0 - 3 * 365 * kDay);  // posyandu says 2023
  HybridClock district(&district_clock, "dinkes", true, kSkew);
  HybridClock posyandu(&posyandu_clock, "pos-a", false, kSkew);
  EXPECT_EQ(district.Now().anchor_ms(), kT0);
  EXPECT_EQ(posyandu.Now().anchor_ms(), 0);
  posyandu.Observe(district.Now(), /*from_parent=*/true);
  EXPECT_EQ(posyandu.Now().anchor_ms(), kT0);
}

TEST(ClockTest, ASlowDeviceCatchesUpWithItsParentsTime) {
  FakeClock parent_clock(kT0), slow_clock(1'546'300'800'000);  // 2019
  HybridClock parent(&parent_clock, "pus-b", true, kSkew);
  HybridClock slow(&slow_clock, "pos-a", false, kSkew);
  const v1::Stamp p = parent.Now();
  slow.Observe(p, /*from_parent=*/true);
  const v1::Stamp next = slow.Now();
  EXPECT_TRUE(StampLess(p, next));
  EXPECT_EQ(EffectiveWall(next), kT0);  // ranks at the present, not in 2019
}

TEST(ClockTest, ClockResetTo2019AfterARestartDoesNotGoBackwards) {
  FakeClock clock(kT0);
  HybridClock before(&clock, "pos-a", false, kSkew);
  const v1::Stamp last = before.Now();
  clock.Set(1'546'300'800'000);  // RTC battery died: 2019-01-01
  HybridClock after(&clock, "pos-a", false, kSkew);
  after.Restore(before.HighWater());
  EXPECT_TRUE(StampLess(last, after.Now()));
}

TEST(ClockTest, AnEditWithABackwardClockStillBeatsTheValueItReplaces) {
  FakeClock slow_clock(1'546'300'800'000);  // 2019
  HybridClock slow(&slow_clock, "pos-a", false, kSkew);
  FakeClock good_clock(kT0);
  HybridClock good(&good_clock, "pkm-c", true, kSkew);
  const v1::Stamp seen = good.Now();  // the value the kader's device received
  const v1::Stamp edit = slow.NowAfter(seen);
  EXPECT_TRUE(StampLess(seen, edit));
}

TEST(ClockTest, AFastClockCannotDragAPeersClockIntoTheFuture) {
  FakeClock fast_clock(kT0 + 365 * kDay), clock(kT0);
  HybridClock fast(&fast_clock, "pos-a", false, kSkew);
  HybridClock pkm(&clock, "pkm-c", false, kSkew);
  pkm.Observe(fast.Now(), /*from_parent=*/false);
  EXPECT_LE(pkm.Now().wall_ms(), kT0 + kSkew + 1);
}

TEST(ClockTest, AYearAheadWriteOutranksConcurrentWritesForAtMostTheLead) {
  FakeClock district_clock(kT0), fast_clock(kT0 + 365 * kDay);
  HybridClock district(&district_clock, "dinkes", true, kSkew);
  HybridClock fast(&fast_clock, "pos-a", false, kSkew);
  fast.Observe(district.Now(), /*from_parent=*/true);          // last sync: trusted time kT0
  const v1::Stamp bad = fast.Now();      // stamped a year ahead
  EXPECT_EQ(EffectiveWall(bad), kT0 + kMaxLeadMs);
  district_clock.Set(kT0 + kDay);        // a concurrent edit a day later loses (bounded harm)
  EXPECT_TRUE(StampLess(district.Now(), bad));
  district_clock.Set(kT0 + kMaxLeadMs + 1000);  // after the lead, honest writes win again
  EXPECT_TRUE(StampLess(bad, district.Now()));
}

TEST(ClockTest, AnEditAfterSeeingAFastWriteWinsAtOnce) {
  FakeClock district_clock(kT0), fast_clock(kT0 + 365 * kDay);
  HybridClock district(&district_clock, "dinkes", true, kSkew);
  HybridClock fast(&fast_clock, "pos-a", false, kSkew);
  fast.Observe(district.Now(), /*from_parent=*/true);
  const v1::Stamp bad = fast.Now();
  const v1::Stamp fix = district.NowAfter(bad);
  EXPECT_TRUE(StampLess(bad, fix));
  // ...without moving the district's clock a year ahead.
  EXPECT_LE(district.Now().wall_ms(), kT0 + kSkew + 1);
}

TEST(ClockTest, ANeverSyncedDeviceCannotOutrankTrustedWrites) {
  FakeClock fast_clock(kT0 + 365 * kDay), district_clock(kT0);
  HybridClock fresh(&fast_clock, "pos-new", false, kSkew);
  HybridClock district(&district_clock, "dinkes", true, kSkew);
  EXPECT_TRUE(StampLess(fresh.Now(), district.Now()));
}

}  // namespace
}  // namespace ilp
