// Micro-benchmark: what the audit trail adds to a read (issue 12). GetPatient
// straight from the Records core, against the same call through RecordsAccess
// as an app's token reaches it: the area rule, then one audit event queued
// for the group commit (services/audit/audit_log.h), which fsyncs every
// interval in the background, as ilp-node runs it.
//
//   build/bin/read_audit_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "services/audit/audit_log.h"
#include "services/records/records_access.h"
#include "services/records/records_core.h"
#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/random.h"
#include "tests/bench/visits.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

struct Posyandu {
  testing::TempDir dir;
  SystemClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<HybridClock> hlc;
  SeededRandom random{1};
  std::unique_ptr<RecordsCore> core;
  std::vector<std::string> patients;

  Posyandu() {
    store = std::move(Store::Open(dir.path(), &clock).value());
    hlc = std::make_unique<HybridClock>(&clock, "pos-mawar", true, 300'000);
    core = std::make_unique<RecordsCore>(store.get(), hlc.get(), &random);
    for (int i = 0; i < 1000; ++i) patients.push_back(core->CreatePatient(bench::MakePatient(1, i))->id());
  }
};

auth::Caller Kader() {
  auth::Caller c;
  c.sub = "kader-yuliana";
  c.role = "kader";
  c.jti = "bench";
  c.node = "pos-mawar";
  c.area = {bench::kVillage};
  c.scopes = {"records:read", "records:write"};
  return c;
}

void BM_GetPatientWithoutAudit(benchmark::State& state) {
  Posyandu p;
  v1::GetPatientRequest req;
  size_t i = 0;
  for (auto _ : state) {
    req.set_id(p.patients[i++ % p.patients.size()]);
    if (!p.core->GetPatient(req).ok()) state.SkipWithError("GetPatient failed");
  }
}
BENCHMARK(BM_GetPatientWithoutAudit)->Unit(benchmark::kMicrosecond);

void BM_GetPatientWithAudit(benchmark::State& state) {
  Posyandu p;
  // The interval ilp-node uses (services/node/node.cc).
  AuditLog audit(p.store.get(), p.core.get(), absl::Milliseconds(state.range(0)));
  RecordsAccess access(p.core.get(), p.store.get(), &audit);
  const Admitted who = Kader();
  v1::GetPatientRequest req;
  size_t i = 0;
  for (auto _ : state) {
    req.set_id(p.patients[i++ % p.patients.size()]);
    if (!access.GetPatient(who, req).ok()) state.SkipWithError("GetPatient failed");
  }
  if (!audit.Flush().ok()) state.SkipWithError("audit flush failed");
  state.counters["audited"] = static_cast<double>(audit.committed());
}
BENCHMARK(BM_GetPatientWithAudit)->Arg(5)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ilp

BENCHMARK_MAIN();
