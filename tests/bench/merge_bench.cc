// Micro-benchmarks of the merge (storage/merge): the pure function every
// Apply runs once per delta.
//
//   build/tests/.../merge_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include "storage/merge/merge.h"
#include "tests/merge/record_gen.h"

namespace ilp {
namespace {

// A stored state merged with one incoming delta: the apply path.
void BM_MergeStateWithDelta(benchmark::State& state) {
  testing::RecordGen gen(42);
  std::vector<std::pair<v1::Record, v1::Record>> cases;
  for (int i = 0; i < 256; ++i) {
    auto pool = gen.Deltas("01a20000-0000-7000-8000-" + std::to_string(100000000000 + i), static_cast<int>(state.range(0)));
    cases.emplace_back(gen.RandomState(pool), pool[gen.rng()() % pool.size()]);
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& [a, b] = cases[i++ % cases.size()];
    benchmark::DoNotOptimize(Merge(a, b));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MergeStateWithDelta)->Arg(4)->Arg(16)->Arg(64);

// Two replicas' states merged whole (a patient moved into a child's area is sent whole).
void BM_MergeTwoStates(benchmark::State& state) {
  testing::RecordGen gen(7);
  std::vector<std::pair<v1::Record, v1::Record>> cases;
  for (int i = 0; i < 256; ++i) {
    auto pool = gen.Deltas("01a20000-0000-7000-8000-" + std::to_string(100000000000 + i), static_cast<int>(state.range(0)));
    cases.emplace_back(gen.RandomState(pool), gen.RandomState(pool));
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& [a, b] = cases[i++ % cases.size()];
    benchmark::DoNotOptimize(Merge(a, b));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MergeTwoStates)->Arg(4)->Arg(16)->Arg(64);

// A resent delta merged into the state that already holds it (a cut session's
// batch arriving again).
void BM_MergeDuplicate(benchmark::State& state) {
  testing::RecordGen gen(9);
  std::vector<v1::Record> cases;
  for (int i = 0; i < 256; ++i) {
    auto pool = gen.Deltas("01a20000-0000-7000-8000-" + std::to_string(100000000000 + i), 8);
    cases.push_back(gen.RandomState(pool));
  }
  size_t i = 0;
  for (auto _ : state) {
    const v1::Record& a = cases[i++ % cases.size()];
    benchmark::DoNotOptimize(Merge(a, a));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MergeDuplicate);

}  // namespace
}  // namespace ilp

BENCHMARK_MAIN();
