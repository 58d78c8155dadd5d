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

TEST(ClockTest, RootAnchorsToItsOwnClockOthersLearnItFromTheirParent) {
  FakeClock district_clock(kT0), posyandu_clock(kT0 - 3 * 365 * kDay);  // posyandu says 2023
  HybridClock district(&district_clock, "dinkes", true, kSkew);
  HybridClock posyandu(&posyandu_clock, "pos-a", false, kSkew);
  EXPECT_EQ(district.Now().anchor_ms(), kT0);
  EXPECT_EQ(posyandu.Now().anchor_ms(), 0);
  posyandu.ObserveParentTime(district.Now(), district.TrustedNowMs());
  EXPECT_EQ(posyandu.Now().anchor_ms(), kT0);
}

TEST(ClockTest, ASlowDeviceCatchesUpWithItsParentsTime) {
  FakeClock parent_clock(kT0), slow_clock(1'546'300'800'000);  // 2019
  HybridClock parent(&parent_clock, "pus-b", true, kSkew);
  HybridClock slow(&slow_clock, "pos-a", false, kSkew);
  const v1::Stamp p = parent.Now();
  slow.ObserveParentTime(p, parent.TrustedNowMs());
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
  slow.ObserveParentTime(good.Now(), good.TrustedNowMs());  // in the session that brought it
  slow_clock.Set(1'546'300'800'000);  // and the clock is still wrong afterwards
  const v1::Stamp edit = slow.NowAfter(seen);
  EXPECT_TRUE(StampLess(seen, edit));
}

TEST(ClockTest, AFastClockCannotDragAPeersClockIntoTheFuture) {
  FakeClock fast_clock(kT0 + 365 * kDay), clock(kT0);
  HybridClock fast(&fast_clock, "pos-a", false, kSkew);
  HybridClock pkm(&clock, "pkm-c", false, kSkew);
  pkm.Observe(fast.Now());
  EXPECT_LE(pkm.Now().wall_ms(), kT0 + kSkew + 1);
}

TEST(ClockTest, AYearAheadWriteOutranksConcurrentWritesForAtMostTheLead) {
  FakeClock district_clock(kT0), fast_clock(kT0 + 365 * kDay);
  HybridClock district(&district_clock, "dinkes", true, kSkew);
  HybridClock fast(&fast_clock, "pos-a", false, kSkew);
  fast.ObserveParentTime(district.Now(), district.TrustedNowMs());          // last sync: trusted time kT0
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
  fast.ObserveParentTime(district.Now(), district.TrustedNowMs());
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

TEST(ClockTest, ARecordStampNeverHandsItsAnchorToTheReceiver) {
  FakeClock clock(kT0);
  HybridClock pkm(&clock, "pkm-c", false, kSkew);
  v1::Stamp forged;
  forged.set_wall_ms(4'102'444'800'000);  // 2100
  forged.set_anchor_ms(4'102'444'800'000);
  forged.set_node("pos-evil");
  pkm.Observe(forged);
  const v1::Stamp next = pkm.Now();
  EXPECT_EQ(next.anchor_ms(), 0);
  EXPECT_LE(next.wall_ms(), kT0 + kSkew + 1);
}

TEST(ClockTest, TrustedTimeFollowsTheParentAndElapsedTimeOnAWrongClock) {
  FakeClock parent_clock(kT0), slow_clock(1'546'300'800'000);  // 2019
  HybridClock parent(&parent_clock, "pus-b", true, kSkew);
  HybridClock slow(&slow_clock, "pos-a", false, kSkew);
  EXPECT_EQ(slow.TrustedNowMs(), 0);
  slow.ObserveParentTime(parent.Now(), parent.TrustedNowMs());
  EXPECT_EQ(slow.TrustedNowMs(), kT0);
  slow_clock.Advance(3 * kDay);  // three days offline; the device still says 2019
  EXPECT_EQ(slow.TrustedNowMs(), kT0 + 3 * kDay);
}

// The fast-clock path through the tiers: a posyandu a year ahead edits a
// field, the puskesmas edits it again after seeing that value, the edit goes
// down to a pustu. The pustu's clock stays within the skew of trusted time,
// so its own later offline edit loses to a district edit one second later.
TEST(ClockTest, AFastClockDoesNotSpreadThroughAnEditThatSawIt) {
  FakeClock district_clock(kT0), pkm_clock(kT0), pustu_clock(kT0), fast_clock(kT0 + 365 * kDay);
  HybridClock district(&district_clock, "dinkes", true, kSkew);
  HybridClock pkm(&pkm_clock, "pkm-c", false, kSkew);
  HybridClock pustu(&pustu_clock, "pustu-b", false, kSkew);
  HybridClock fast(&fast_clock, "pos-a", false, kSkew);
  pkm.ObserveParentTime(district.Now(), district.TrustedNowMs());
  pustu.ObserveParentTime(pkm.Now(), pkm.TrustedNowMs());
  fast.ObserveParentTime(pustu.Now(), pustu.TrustedNowMs());
  const v1::Stamp fast_edit = fast.Now();
  pkm.Observe(fast_edit);
  const v1::Stamp pkm_edit = pkm.NowAfter(fast_edit);
  EXPECT_TRUE(StampLess(fast_edit, pkm_edit));                // causality wins
  EXPECT_LE(pkm_edit.anchor_ms(), kT0 + kSkew);               // no foreign anchor beyond the skew
  pustu.Observe(pkm_edit);                                    // the edit reaches the pustu
  const v1::Stamp pustu_edit = pustu.Now();
  EXPECT_LE(pustu_edit.wall_ms(), kT0 + kSkew + 1);           // its clock did not move a year ahead
  district_clock.Advance(1000);
  EXPECT_TRUE(StampLess(pustu_edit, district.Now()));         // a later district edit wins
}

TEST(ClockTest, StampOrderIsSafeAtTheLimits) {
  v1::Stamp huge;
  huge.set_wall_ms(INT64_MAX);
  huge.set_anchor_ms(INT64_MAX);
  huge.set_logical(UINT32_MAX);
  EXPECT_EQ(EffectiveWall(huge), INT64_MAX);
  FakeClock clock(kT0);
  HybridClock hlc(&clock, "pkm-c", false, kSkew);
  const v1::Stamp after = hlc.NowAfter(huge);  // no overflow, no foreign anchor
  EXPECT_EQ(after.wall_ms(), INT64_MAX);
  EXPECT_LE(after.anchor_ms(), kSkew);
}

}  // namespace
}  // namespace ilp
