// Node-made ids (storage/util/ids.h): valid UUIDv7, unique, in the order
// made whatever the clock does, and each generator with its own tag.
#include "storage/util/ids.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace ilp {
namespace {

constexpr int64_t kMs = 1764000000000;  // 2025-11-24

// The 48-bit time of a UUIDv7's text.
int64_t TimeOf(const std::string& id) {
  return static_cast<int64_t>(std::stoull(absl::StrReplaceAll(id.substr(0, 13), {{"-", ""}}), nullptr, 16));
}

// Bytes 6-11 (version, variant, tag) of a UUID's text.
std::string TagOf(const std::string& id) { return id.substr(14, 14); }

TEST(UuidV7GeneratorTest, IdsAreValidV7WithTheTimeGiven) {
  SeededRandom random(1);
  UuidV7Generator gen(&random);
  for (int i = 0; i < 1000; ++i) {
    const std::string id = gen.Next(kMs + i / 10);
    ASSERT_TRUE(IsValidUuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;                         // version 7
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant 10
    EXPECT_EQ(TimeOf(id), kMs + i / 10) << id;
  }
}

TEST(UuidV7GeneratorTest, UniqueAndInOrderMadeWhenTheClockStepsBack) {
  SeededRandom random(2);
  UuidV7Generator gen(&random);
  std::vector<std::string> ids;
  const int64_t times[] = {kMs, kMs, kMs + 5, kMs - 1000, kMs - 1000, kMs + 2, kMs + 6, kMs + 6};
  for (int64_t t : times) ids.push_back(gen.Next(t));
  for (size_t i = 1; i < ids.size(); ++i) {
    EXPECT_LT(ids[i - 1], ids[i]) << "id " << i;
    EXPECT_EQ(TagOf(ids[i - 1]), TagOf(ids[i]));
  }
  // A step back keeps the last time rather than going back with the clock.
  EXPECT_EQ(TimeOf(ids[3]), kMs + 5);
  EXPECT_EQ(TimeOf(ids[6]), kMs + 6);
}

// Randomness that gives back the values it was made with, in turn.
class FixedRandom : public Random {
 public:
  explicit FixedRandom(std::vector<uint64_t> values) : values_(std::move(values)) {}
  uint64_t Next64() override { return values_.at(next_++); }

 private:
  std::vector<uint64_t> values_;
  size_t next_ = 0;
};

// A counter that starts 4 before its wrap: ids made across the wrap still
// sort in the order made.
TEST(UuidV7GeneratorTest, CounterWrapMovesTheTimeOn) {
  FixedRandom random({/*tag*/ 0x2AAAAAAAAAAull, /*counter*/ 0xFFFFFFFCull});
  UuidV7Generator gen(&random);
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(gen.Next(kMs));
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_LT(ids[i - 1], ids[i]) << "id " << i;
  EXPECT_EQ(ids[0].substr(28), "fffffffc");
  EXPECT_EQ(TimeOf(ids[3]), kMs);
  EXPECT_EQ(ids[4].substr(28), "00000000");
  EXPECT_EQ(TimeOf(ids[4]), kMs + 1);
  EXPECT_EQ(ids[7].substr(28), "00000003");
  // The tag's 42 bits around the version and variant bits.
  EXPECT_EQ(TagOf(ids[0]), "7aaa-aaaa-aaaa");
}

TEST(UuidV7GeneratorTest, GeneratorsDrawTheirOwnTags) {
  SeededRandom random(3);
  absl::flat_hash_set<std::string> tags, ids;
  for (int g = 0; g < 200; ++g) {
    UuidV7Generator gen(&random);
    const std::string first = gen.Next(kMs);
    EXPECT_TRUE(tags.insert(TagOf(first)).second) << first;
    ids.insert(first);
    for (int i = 0; i < 50; ++i) ids.insert(gen.Next(kMs));
  }
  EXPECT_EQ(ids.size(), 200u * 51u);
}

// A client's random UUIDv7 (NewUuidV7) is still the other form.
TEST(UuidV7GeneratorTest, NewUuidV7IsRandomAfterTheTime) {
  SeededRandom random(4);
  const std::string a = NewUuidV7(kMs, &random), b = NewUuidV7(kMs, &random);
  ASSERT_TRUE(IsValidUuid(a));
  EXPECT_EQ(TimeOf(a), kMs);
  EXPECT_NE(TagOf(a), TagOf(b));
}

}  // namespace
}  // namespace ilp
