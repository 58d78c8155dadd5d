// Randomized checks of the merge laws on generated records. The seed is
// printed; rerun with ILP_SEED=<seed> to replay a failure exactly.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "storage/merge/merge.h"
#include "tests/merge/record_gen.h"

namespace ilp {
namespace {

constexpr int kCases = 10000;

uint64_t Seed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("ILP_SEED");
    uint64_t s = env ? std::strtoull(env, nullptr, 10)
                     : static_cast<uint64_t>(
                           std::chrono::steady_clock::now().time_since_epoch().count());
    std::printf("merge law seed: ILP_SEED=%llu\n", static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

std::string Bytes(const v1::Record& r) { return r.SerializeAsString(); }

v1::Record M(const v1::Record& a, const v1::Record& b) {
  absl::StatusOr<MergeResult> r = Merge(a, b);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->record : v1::Record();
}

class MergeLawTest : public ::testing::Test {
 protected:
  // Three states of one record, reachable from a shared pool of writes.
  void Draw(int i, v1::Record* a, v1::Record* b, v1::Record* c) {
    testing::RecordGen gen(Seed() + static_cast<uint64_t>(i));
    auto pool = gen.Deltas("0190a0b1-0000-7000-8000-000000000001", 2 + i % 12);
    *a = gen.RandomState(pool);
    *b = gen.RandomState(pool);
    *c = gen.RandomState(pool);
  }
};

TEST_F(MergeLawTest, Commutative) {
  for (int i = 0; i < kCases; ++i) {
    v1::Record a, b, c;
    Draw(i, &a, &b, &c);
    ASSERT_EQ(Bytes(M(a, b)), Bytes(M(b, a))) << "seed " << Seed() << " case " << i;
  }
}

TEST_F(MergeLawTest, Associative) {
  for (int i = 0; i < kCases; ++i) {
    v1::Record a, b, c;
    Draw(i, &a, &b, &c);
    ASSERT_EQ(Bytes(M(M(a, b), c)), Bytes(M(a, M(b, c)))) << "seed " << Seed() << " case " << i;
  }
}

TEST_F(MergeLawTest, Idempotent) {
  for (int i = 0; i < kCases; ++i) {
    v1::Record a, b, c;
    Draw(i, &a, &b, &c);
    ASSERT_EQ(Bytes(M(a, a)), Bytes(a)) << "seed " << Seed() << " case " << i;
    const v1::Record ab = M(a, b);
    ASSERT_EQ(Bytes(M(ab, b)), Bytes(ab)) << "seed " << Seed() << " case " << i;
  }
}

TEST_F(MergeLawTest, MergingWithADominatingStateYieldsIt) {
  for (int i = 0; i < kCases; ++i) {
    v1::Record a, b, c;
    Draw(i, &a, &b, &c);
    const v1::Record newer = M(M(a, b), c);  // has seen everything a has
    ASSERT_EQ(Bytes(M(a, newer)), Bytes(newer)) << "seed " << Seed() << " case " << i;
    ASSERT_EQ(Bytes(M(newer, a)), Bytes(newer)) << "seed " << Seed() << " case " << i;
  }
}

TEST_F(MergeLawTest, EmptyRecordIsTheIdentity) {
  for (int i = 0; i < kCases; ++i) {
    v1::Record a, b, c;
    Draw(i, &a, &b, &c);
    ASSERT_EQ(Bytes(M(v1::Record(), a)), Bytes(a)) << "seed " << Seed() << " case " << i;
  }
}

}  // namespace
}  // namespace ilp
