// The trimmer gives back what glibc holds free inside a heap, and only then.
#include "services/node/malloc_trimmer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <unistd.h>

namespace ilp {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ILP_SANITIZED_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ILP_SANITIZED_ALLOCATOR 1
#endif
#endif

size_t ResidentBytes() {
  unsigned long size = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

constexpr size_t kMiB = size_t{1} << 20;

TEST(MallocTrimmerTest, GivesBackMemoryFreedInsideTheHeapOnceOverTheThreshold) {
#ifdef ILP_SANITIZED_ALLOCATOR
  GTEST_SKIP() << "the sanitizer's allocator replaces glibc's malloc, whose trimming this tests "
                  "(the gcc build runs it)";
#endif
  MallocTrimmer trimmer(8 * kMiB);
  // 48 MiB in 64 KiB blocks, under glibc's mmap threshold: they come from a
  // heap, and a block kept after them stops free() from trimming its top.
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 768; ++i) {
    blocks.emplace_back(new char[64 * 1024]);
    std::memset(blocks.back().get(), i, 64 * 1024);  // resident
  }
  std::unique_ptr<char[]> guard(new char[64]);
  guard[0] = 1;
  EXPECT_FALSE(trimmer.Tick());  // first look: the baseline
  EXPECT_FALSE(trimmer.Tick()) << "nothing was freed";

  blocks.clear();
  const size_t freed_but_resident = ResidentBytes();
  EXPECT_TRUE(trimmer.Tick()) << "48 MiB freed inside the heap is past an 8 MiB threshold";
  EXPECT_EQ(trimmer.trims(), 1u);
  EXPECT_LT(ResidentBytes() + 32 * kMiB, freed_but_resident)
      << "resident " << ResidentBytes() / kMiB << " MiB after the trim, " << freed_but_resident / kMiB << " before";
  EXPECT_FALSE(trimmer.Tick()) << "nothing freed since the trim";
  EXPECT_EQ(guard[0], 1);
}

TEST(MallocTrimmerTest, SmallFreesStayUnderTheThreshold) {
  MallocTrimmer trimmer(64 * kMiB);
  EXPECT_FALSE(trimmer.Tick());
  {
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < 64; ++i) {
      blocks.emplace_back(new char[64 * 1024]);
      std::memset(blocks.back().get(), i, 64 * 1024);
    }
  }
  EXPECT_FALSE(trimmer.Tick()) << "4 MiB freed, under a 64 MiB threshold";
  EXPECT_EQ(trimmer.trims(), 0u);
}

TEST(MallocTrimmerTest, StartsAndStopsItsThread) {
  MallocTrimmer trimmer(8 * kMiB);
  trimmer.Start(absl::Milliseconds(1));
  trimmer.Stop();
  trimmer.Stop();  // twice is fine
}

}  // namespace
}  // namespace ilp
