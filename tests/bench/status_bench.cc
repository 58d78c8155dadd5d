#include "tests/bench/status_bench.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/admin/admin_core.h"
#include "services/metrics/prometheus.h"
#include "services/replication/sync_engine.h"
#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"

namespace ilp::bench {
namespace {

constexpr char kNode[] = "pos-bench";
constexpr char kParent[] = "pus-bench";

// A patient record of about the size of one change of a visit (~190 bytes).
v1::Record Change(uint64_t i, int64_t now_ms) {
  v1::Record r;
  r.set_id(absl::StrCat("0190a0b1-0000-7000-8000-", 100000000000 + i));
  r.mutable_created()->set_wall_ms(now_ms);
  r.mutable_created()->set_node(kNode);
  auto* v = r.mutable_patient()->add_versions();
  v->set_field("address.village_code");
  v->mutable_stamp()->set_wall_ms(now_ms);
  v->mutable_stamp()->set_node(kNode);
  auto* name = r.mutable_patient()->add_versions();
  name->set_field("name");
  *name->mutable_stamp() = v->stamp();
  auto* p = r.mutable_patient()->mutable_value();
  p->mutable_address()->set_village_code("5371031001");
  p->set_name(absl::StrCat("Pasien bench ", i, " binti Ibu bench, Desa Oebobo, Kota Kupang"));
  return r;
}

struct Timing {
  double mean_ms = 0, p50_ms = 0, p99_ms = 0;
};

template <typename Fn>
bool Time(int calls, Fn fn, Timing* t) {
  std::vector<double> ms;
  for (int i = 0; i < calls; ++i) {
    const absl::Time t0 = absl::Now();
    if (!fn()) return false;
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  std::sort(ms.begin(), ms.end());
  for (double m : ms) t->mean_ms += m / calls;
  t->p50_ms = ms[ms.size() / 2];
  t->p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  return true;
}

}  // namespace

int RunStatusBacklog(uint64_t n, const std::string& work_dir) {
  const std::string dir = work_dir + "/status-backlog";
  SystemClock clock;
  v1::NodeConfig cfg;
  cfg.set_node_id(kNode);
  cfg.set_parent_id(kParent);
  cfg.set_parent_address("127.0.0.1:1");
  auto opened = Store::Open(dir, &clock);
  if (!opened.ok()) {
    std::fprintf(stderr, "ilp-bench: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<Store> store = std::move(*opened);
  // Local writes the parent has not acknowledged: all n are pending for it.
  const absl::Time w0 = absl::Now();
  constexpr uint64_t kBatch = 1000;
  for (uint64_t i = 0; i < n; i += kBatch) {
    ApplyRequest req;
    for (uint64_t j = i; j < std::min(n, i + kBatch); ++j) req.deltas.push_back(Change(j, clock.NowMs()));
    req.sync = i + kBatch >= n;
    if (absl::Status s = store->Apply(std::move(req)).status(); !s.ok()) {
      std::fprintf(stderr, "ilp-bench: apply: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  const double write_s = absl::ToDoubleSeconds(absl::Now() - w0);
  // A start with no counters stored (the first, or after a crash): the node
  // builds them with one pass (SyncEngine::CountBacklogs).
  store.reset();
  opened = Store::Open(dir, &clock);
  if (!opened.ok()) return 1;
  store = std::move(*opened);
  HybridClock hlc(&clock, kNode, false, 0);
  auto sync_ptr = std::make_unique<SyncEngine>(cfg, store.get(), &hlc);
  const absl::Time r0 = absl::Now();
  if (!sync_ptr->CountBacklogs().ok()) return 1;
  const double rebuild_s = absl::ToDoubleSeconds(absl::Now() - r0);
  auto admin_ptr = std::make_unique<AdminCore>(cfg, store.get(), sync_ptr.get(), nullptr, &clock);
  AdminCore& admin = *admin_ptr;
  // Before: status scanned the unsent log once per peer per call.
  Timing scan, status, scrape;
  uint64_t pending = 0;
  const bool ok =
      Time(3, [&] {
        absl::StatusOr<Backlog> b = store->BacklogAfter(0, kParent);
        return b.ok() && b->changes == n;
      }, &scan) &&
      Time(1000, [&] {
        absl::StatusOr<v1::NodeStatus> s = admin.GetStatus();
        if (!s.ok() || s->peers_size() != 1) return false;
        pending = s->peers(0).pending_changes();
        return true;
      }, &status) &&
      Time(1000, [&] {
        absl::StatusOr<v1::NodeStatus> s = admin.GetStatus();
        return s.ok() && !RenderMetrics(*s, store->apply_latency().Take()).empty();
      }, &scrape);
  if (!ok || pending != n) {
    std::fprintf(stderr, "ilp-bench: status calls failed (pending %llu, want %llu)\n",
                 static_cast<unsigned long long>(pending), static_cast<unsigned long long>(n));
    return 1;
  }
  // A clean stop stores the counters; the next start takes them.
  admin_ptr.reset();
  sync_ptr.reset();
  store.reset();
  opened = Store::Open(dir, &clock);
  if (!opened.ok()) return 1;
  store = std::move(*opened);
  sync_ptr = std::make_unique<SyncEngine>(cfg, store.get(), &hlc);
  const absl::Time c0 = absl::Now();
  if (!sync_ptr->CountBacklogs().ok()) return 1;
  const double clean_start_ms = absl::ToDoubleMilliseconds(absl::Now() - c0);
  absl::StatusOr<Backlog> kept = store->Pending(kParent, 0);
  if (!kept.ok() || kept->changes != n) return 1;
  // What a session's acknowledgement costs the counters: 1,000 changes.
  Timing ack;
  uint64_t cursor = 0;
  if (!Time(10, [&] { return store->Pending(kParent, cursor += kBatch).ok(); }, &ack)) return 1;
  std::printf("status with %llu changes pending for the parent\n", static_cast<unsigned long long>(n));
  std::printf("%-48s %.1f s\n", "writing them (batches of 1,000)", write_s);
  std::printf("%-48s %.1f ms mean (3 calls)\n", "before: the scan each status call made", scan.mean_ms);
  std::printf("%-48s %.3f ms mean, p50 %.3f, p99 %.3f\n", "after: GetStatus (1,000 calls)", status.mean_ms,
              status.p50_ms, status.p99_ms);
  std::printf("%-48s %.3f ms mean, p50 %.3f, p99 %.3f\n", "after: metrics scrape (GetStatus + render)",
              scrape.mean_ms, scrape.p50_ms, scrape.p99_ms);
  std::printf("%-48s %.1f ms\n", "start after a crash: counters built (one pass)", rebuild_s * 1000);
  std::printf("%-48s %.3f ms\n", "start after a clean stop: counters taken", clean_start_ms);
  std::printf("%-48s %.2f ms mean\n", "an acknowledgement of 1,000 changes", ack.mean_ms);
  std::printf(
      "{\"status_backlog\":%llu,\"scan_ms\":%.1f,\"status_ms\":%.4f,\"status_p99_ms\":%.4f,\"scrape_ms\":%.4f,"
      "\"scrape_p99_ms\":%.4f,\"rebuild_ms\":%.1f,\"clean_start_ms\":%.3f,\"ack_1000_ms\":%.3f,\"write_s\":%.1f}\n",
      static_cast<unsigned long long>(n), scan.mean_ms, status.mean_ms, status.p99_ms, scrape.mean_ms,
      scrape.p99_ms, rebuild_s * 1000, clean_start_ms, ack.mean_ms, write_s);
  return 0;
}

}  // namespace ilp::bench
