#include "tests/bench/recorded_visits.h"

#include "services/records/records_core.h"
#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/random.h"
#include "tests/bench/visits.h"
#include "tests/common/temp_dir.h"

namespace ilp::bench {

std::vector<v1::Record> RecordedVisits(int visits) {
  testing::TempDir dir;
  SystemClock clock;
  auto store = Store::Open(dir.path(), &clock);
  HybridClock hlc(&clock, "pos-mawar", true, 300'000);
  SeededRandom random(1);
  RecordsCore api(store->get(), &hlc, &random);
  std::vector<std::string> patients;
  for (int i = 0; i < 20; ++i) patients.push_back(api.CreatePatient(MakePatient(1, i))->id());
  for (int i = 0; i < visits; ++i) {
    (void)api.RecordEncounter(MakeVisit(1, i, patients[i % 20], clock.NowMs() - 86'400'000));
  }
  std::vector<v1::Record> out;
  absl::StatusOr<std::vector<v1::Change>> changes = (*store)->ReadChanges(20, SIZE_MAX, SIZE_MAX);
  for (auto& c : changes.value()) out.push_back(c.delta());
  return out;
}

}  // namespace ilp::bench
