// Micro-benchmark of Store::Apply: a batch of visits arriving at a tier
// (merge, index entries, change log, one fsynced WriteBatch), as a sync
// session applies it. The visits are made by the Records API itself, then
// re-applied with fresh ids each iteration so every batch is new data.
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "storage/clock/clock.h"
#include "storage/store/store.h"
#include "tests/bench/recorded_visits.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

// Rewrites every record id (and reference) with the round in its first 8
// hex digits (the high bits of the time), so the batch is new data. A node's
// ids differ in their last digits (a counter, storage/util/ids.h), so those
// are kept.
void Renumber(std::vector<v1::Record>* batch, uint64_t round) {
  const std::string tag = absl::StrCat(absl::Hex(round, absl::kZeroPad8));
  auto fix = [&](std::string* id) {
    if (id->size() == 36) id->replace(0, 8, tag);
  };
  for (v1::Record& r : *batch) {
    fix(r.mutable_id());
    if (r.has_encounter()) fix(r.mutable_encounter()->mutable_id());
    if (r.has_observation()) {
      fix(r.mutable_observation()->mutable_id());
      fix(r.mutable_observation()->mutable_encounter_id());
    }
  }
}

void BM_ApplyVisitBatch(benchmark::State& state) {
  const int visits = static_cast<int>(state.range(0));
  const std::vector<v1::Record> tmpl = bench::RecordedVisits(visits);
  testing::TempDir dir;
  SystemClock clock;
  auto store = Store::Open(dir.path(), &clock);
  uint64_t round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ApplyRequest req;
    req.deltas = tmpl;
    Renumber(&req.deltas, ++round);
    req.via = "pos-mawar";
    req.sync = true;
    state.ResumeTiming();
    auto res = (*store)->Apply(std::move(req));
    if (!res.ok() || res->changed != static_cast<int>(tmpl.size())) state.SkipWithError("apply failed");
  }
  state.SetItemsProcessed(state.iterations() * visits);  // visits per second
  state.counters["changes_per_visit"] = static_cast<double>(tmpl.size()) / visits;
}
BENCHMARK(BM_ApplyVisitBatch)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ilp

BENCHMARK_MAIN();
