// A create repeated with the id it was given returns what the first made,
// and the same id with other content is ALREADY_EXISTS, whichever length of
// digest the record stores: 16 bytes since 2026-12-07, 32 before (records
// created then still answer repeats of their requests).
#include <gtest/gtest.h>

#include "services/records/records_core.h"
#include "services/records/records_internal.h"
#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/random.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

constexpr int64_t kT0 = 1'795'392'000'000;

struct Core {
  explicit Core(const std::string& dir)
      : clock(kT0), store(std::move(Store::Open(dir, &clock).value())),
        hlc(&clock, "pos-mawar", true, 300'000), random(1), api(store.get(), &hlc, &random) {}
  FakeClock clock;
  std::unique_ptr<Store> store;
  HybridClock hlc;
  SeededRandom random;
  RecordsCore api;
};

v1::CreatePatientRequest Ani(const std::string& id) {
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_id(id);
  req.mutable_patient()->set_name("Ani");
  req.mutable_patient()->mutable_address()->set_village_code("5371031001");
  return req;
}

const char kId[] = "0194f0a2-7c3b-7def-8abc-0123456789ab";

TEST(ReplayTest, ARecordStoresHalfTheDigestAndARepeatStillMatches) {
  testing::TempDir dir;
  Core c(dir.path());
  absl::StatusOr<v1::Patient> first = c.api.CreatePatient(Ani(kId));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<v1::Record> stored = c.store->Get(kId);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->create_digest(), records_internal::Digest(Ani(kId)).substr(0, 16));

  absl::StatusOr<v1::Patient> again = c.api.CreatePatient(Ani(kId));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  v1::CreatePatientRequest other = Ani(kId);
  other.mutable_patient()->set_name("Budi");
  EXPECT_EQ(c.api.CreatePatient(other).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(ReplayTest, ARecordWithTheOldFullDigestStillAnswersARepeat) {
  testing::TempDir dir;
  v1::Record legacy;
  {
    Core origin(dir.Sub("origin"));
    ASSERT_TRUE(origin.api.CreatePatient(Ani(kId)).ok());
    legacy = origin.store->Get(kId).value();
  }
  // As a node before 2026-12-07 made it, arriving by sync.
  legacy.set_create_digest(records_internal::Digest(Ani(kId)));
  ASSERT_EQ(legacy.create_digest().size(), 32u);
  Core c(dir.Sub("tier"));
  ApplyRequest req;
  req.via = "pos-mawar";
  req.sync = true;
  req.deltas.push_back(legacy);
  ASSERT_TRUE(c.store->Apply(std::move(req)).ok());

  absl::StatusOr<v1::Patient> again = c.api.CreatePatient(Ani(kId));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), "Ani");
  EXPECT_EQ(c.store->Get(kId)->create_digest().size(), 32u);  // nothing rewritten
  v1::CreatePatientRequest other = Ani(kId);
  other.mutable_patient()->set_name("Budi");
  EXPECT_EQ(c.api.CreatePatient(other).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(ReplayTest, ADigestShorterThan16BytesMatchesNothing) {
  const std::string full = records_internal::Digest(Ani(kId));
  EXPECT_TRUE(records_internal::DigestMatches(full.substr(0, 16), full));
  EXPECT_TRUE(records_internal::DigestMatches(full, full));
  EXPECT_FALSE(records_internal::DigestMatches(full.substr(0, 8), full));
  EXPECT_FALSE(records_internal::DigestMatches("", full));
  std::string flipped = full.substr(0, 16);
  flipped[15] ^= 1;
  EXPECT_FALSE(records_internal::DigestMatches(flipped, full));
}

}  // namespace
}  // namespace ilp
