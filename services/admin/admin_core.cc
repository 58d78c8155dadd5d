#include "services/admin/admin_core.h"

#include "services/backup/backup.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

int64_t AgeOf(int64_t now, int64_t then_ms) { return then_ms > 0 ? std::max<int64_t>(0, now - then_ms) : -1; }

// The process's resident set now and at its peak, from /proc/self/status
// (Linux); left 0 where it cannot be read.
void ReadProcessMemory(v1::StoreMemory* m) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v(line);
    const bool rss = absl::ConsumePrefix(&v, "VmRSS:");
    if (!rss && !absl::ConsumePrefix(&v, "VmHWM:")) continue;
    v = absl::StripAsciiWhitespace(v);
    uint64_t kib = 0;
    if (!absl::ConsumeSuffix(&v, " kB") || !absl::SimpleAtoi(v, &kib)) continue;
    (rss ? m->set_resident(kib * 1024) : m->set_peak_resident(kib * 1024));
  }
}

}  // namespace

AdminCore::AdminCore(const v1::NodeConfig& cfg, Store* store, SyncEngine* sync,
                     Replicator* replicator, Clock* clock)
    : cfg_(cfg),
      store_(store),
      sync_(sync),
      replicator_(replicator),
      clock_(clock),
      started_ms_(clock->NowMs()) {}

v1::PeerStatus AdminCore::PeerNow(const std::string& id, const std::string& role,
                                  int64_t now) const {
  v1::PeerStatus ps;
  v1::PeerState* st = ps.mutable_state();
  // A status display shows what it can: a peer never seen (NOT_FOUND) shows
  // empty, and a peer state that cannot be read is logged, not hidden.
  absl::StatusOr<v1::PeerState> known = sync_->Peer(id);
  if (known.ok()) {
    *st = std::move(*known);
  } else if (!absl::IsNotFound(known.status())) {
    spdlog::error("status: reading peer {}: {}", id, known.status().ToString());
  }
  st->set_node_id(id);
  st->set_role(role);
  ps.set_last_success_age_ms(AgeOf(now, st->last_success_ms()));
  const bool failing = !st->last_error().empty() && st->last_error_ms() >= st->last_success_ms();
  ps.set_last_error_age_ms(failing ? AgeOf(now, st->last_error_ms()) : -1);
  constexpr int64_t kAlarmShownMs = 7LL * 24 * 3600 * 1000;
  const bool alarmed = !st->alarm().empty() && now - st->alarm_ms() < kAlarmShownMs;
  ps.set_alarm_age_ms(alarmed ? AgeOf(now, st->alarm_ms()) : -1);
  // What this node has written or received since the peer's last
  // acknowledgement (a child's share is at most this, after scope), from the
  // store's pending counters: O(1) in the backlog (storage/store/pending.cc).
  absl::StatusOr<Backlog> backlog = store_->Pending(id, st->sent_cursor());
  if (!backlog.ok()) {
    // Shown as nothing pending; the damage is logged (and `ilpctl verify`
    // reports it), the rest of the status still useful.
    spdlog::error("status: backlog for peer {}: {}", id, backlog.status().ToString());
  }
  const Backlog b = backlog.value_or(Backlog());
  ps.set_pending_changes(b.changes);
  ps.set_pending_bytes(b.bytes);
  ps.set_oldest_unsent_age_ms(b.changes > 0 ? std::max<int64_t>(0, now - b.oldest_ms) : 0);
  return ps;
}

absl::StatusOr<v1::NodeStatus> AdminCore::GetStatus() const {
  const int64_t now = clock_->NowMs();
  v1::NodeStatus s;
  s.set_node_id(cfg_.node_id());
  s.set_tier(cfg_.tier());
  s.set_parent_id(cfg_.parent_id());
  s.set_listen_address(cfg_.listen_address());
  s.set_now_ms(now);
  s.set_uptime_s(std::max<int64_t>(0, now - started_ms_) / 1000);
  const StoreStats stats = store_->Stats();
  s.set_store_bytes(stats.approximate_bytes);
  s.set_head(stats.last_seq);
  for (const auto& [kind, n] : stats.records_by_kind) {
    v1::KindCount* k = s.add_records();
    k->set_kind(kind);
    k->set_count(n);
  }
  s.set_lost_writes(store_->LostWriteCount());
  s.set_quarantined_deltas(store_->QuarantineCount());
  DiskGuard& disk = store_->disk();
  s.set_disk_free_bytes(disk.free_bytes());
  s.set_disk_reserve_bytes(disk.reserve_bytes());
  s.set_writes_refused_disk(disk.refused());
  s.set_disk_full(disk.refusing());
  v1::StoreMemory* mem = s.mutable_memory();
  mem->set_budget(stats.memory.budget);
  mem->set_memtables(stats.memory.memtables);
  mem->set_block_cache(stats.memory.block_cache);
  mem->set_block_cache_pinned(stats.memory.block_cache_pinned);
  mem->set_table_readers(stats.memory.table_readers);
  ReadProcessMemory(mem);
  if (!cfg_.parent_id().empty()) {
    v1::PeerStatus* p = s.add_peers();
    *p = PeerNow(cfg_.parent_id(), "parent", now);
    p->set_address(cfg_.parent_address());
  }
  for (const auto& c : cfg_.children()) {
    v1::PeerStatus* p = s.add_peers();
    *p = PeerNow(c.node_id(), "child", now);
    *p->mutable_state()->mutable_working_area() = c.working_area();
  }
  ILP_ASSIGN_OR_RETURN(const auto exporters, sync_->SatusehatExporters());
  for (const auto& [org, nodes] : exporters) {
    v1::SatusehatExporter* e = s.add_satusehat_exporters();
    e->set_org_ihs(org);
    for (const std::string& n : nodes) e->add_node_ids(n);
  }
  ILP_ASSIGN_OR_RETURN(auto awaiting, sync_->BundlesAwaitingReceipt());
  for (auto& b : awaiting) *s.add_bundles_awaiting_receipt() = std::move(b);
  return s;
}

absl::StatusOr<v1::GetTreeResponse> AdminCore::GetTree() const {
  const int64_t now = clock_->NowMs();
  // Every report held here, aged to now.
  std::map<std::string, v1::NodeReport> reports;
  ILP_ASSIGN_OR_RETURN(auto stored_reports, sync_->Reports());
  for (auto& [id, stored] : stored_reports) {
    v1::NodeReport r = stored.report();
    r.set_age_ms(r.age_ms() + std::max<int64_t>(0, now - stored.received_ms()));
    reports[id] = std::move(r);
  }
  // Children of each node: configured (here) or reported (below), plus any
  // node whose report names it as parent.
  std::map<std::string, std::vector<std::string>> children;
  auto add_child = [&](const std::string& parent, const std::string& child) {
    auto& v = children[parent];
    if (std::find(v.begin(), v.end(), child) == v.end()) v.push_back(child);
  };
  for (const auto& c : cfg_.children()) add_child(cfg_.node_id(), c.node_id());
  for (const auto& [id, r] : reports) {
    for (const auto& c : r.children()) add_child(id, c);
  }
  for (const auto& [id, r] : reports) {
    if (!r.parent_id().empty()) add_child(r.parent_id(), id);
  }

  v1::GetTreeResponse out;
  v1::TreeNode* self = out.add_nodes();
  self->set_node_id(cfg_.node_id());
  self->set_tier(cfg_.tier());
  self->set_parent_id(cfg_.parent_id());
  self->set_reported(true);
  self->set_report_age_ms(0);
  self->set_records(0);
  for (const auto& [kind, n] : store_->Stats().records_by_kind) self->set_records(self->records() + n);
  self->set_last_contact_age_ms(-1);
  if (!cfg_.parent_id().empty()) {
    v1::PeerStatus p = PeerNow(cfg_.parent_id(), "parent", now);
    self->set_last_contact_age_ms(p.last_success_age_ms());
    self->set_pending_changes(p.pending_changes());
    if (p.last_error_age_ms() >= 0) {
      self->set_last_error(p.state().last_error());
      self->set_last_error_age_ms(p.last_error_age_ms());
    }
  }

  // Depth-first below this node. `path_lag` is the oldest change known to be
  // waiting anywhere on the way up from the node to here.
  std::set<std::string> seen = {cfg_.node_id()};
  std::function<void(const std::string&, int, int64_t)> visit = [&](const std::string& id,
                                                                    int depth, int64_t path_lag) {
    for (const std::string& child : children[id]) {
      if (!seen.insert(child).second) continue;  // a node reported under two parents: first wins
      v1::TreeNode* t = out.add_nodes();
      t->set_node_id(child);
      t->set_parent_id(id);
      t->set_depth(depth);
      auto r = reports.find(child);
      int64_t lag = path_lag;
      if (r == reports.end()) {
        t->set_reported(false);
        t->set_last_contact_age_ms(-1);
        t->set_report_age_ms(-1);
      } else {
        const v1::NodeReport& rep = r->second;
        t->set_reported(true);
        t->set_tier(rep.tier());
        t->set_report_age_ms(rep.age_ms());
        // The report was made when the node contacted its parent.
        t->set_last_contact_age_ms(rep.age_ms());
        t->set_pending_changes(rep.pending_changes());
        t->set_records(rep.records());
        if (!rep.last_error().empty()) {
          t->set_last_error(rep.last_error());
          t->set_last_error_age_ms(rep.last_error_age_ms() + rep.age_ms());
        }
        if (rep.pending_changes() > 0) lag = std::max(lag, rep.oldest_unsent_age_ms() + rep.age_ms());
      }
      t->set_lag_ms(lag);
      visit(child, depth + 1, lag);
    }
  };
  // Lag of a direct child's changes on the way here: what it still had to
  // send at its last contact (its report), nothing above it.
  visit(cfg_.node_id(), 1, 0);
  return out;
}

absl::Status AdminCore::Backup(const std::function<bool(const v1::BackupChunk&)>& send) const {
  v1::BackupManifest m;
  m.set_node_id(cfg_.node_id());
  ILP_ASSIGN_OR_RETURN(std::string incarnation, sync_->Incarnation());
  m.set_incarnation(incarnation);
  return StreamBackup(*store_, cfg_.data_dir(), std::move(m), send);
}

absl::StatusOr<v1::SyncNowResponse> AdminCore::SyncNow(const v1::SyncNowRequest& req) {
  if (replicator_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node ", cfg_.node_id(), " has no parent_address: it is the root and syncs only when its children call"));
  }
  v1::SyncNowResponse resp;
  resp.set_parent_id(cfg_.parent_id());
  if (!req.wait() && replicator_->TriggerNow()) {
    resp.set_ok(true);
    return resp;
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<SessionStats> st = replicator_->SyncOnce();
  resp.set_duration_ms(absl::ToInt64Milliseconds(absl::Now() - start));
  if (!st.ok()) {
    resp.set_ok(false);
    resp.set_error(st.status().ToString());
    return resp;
  }
  resp.set_ok(true);
  resp.set_sent_changes(st->sent_changes);
  resp.set_received_changes(st->received_changes);
  resp.set_sent_bytes(st->sent_bytes);
  resp.set_received_bytes(st->received_bytes);
  resp.set_batches(st->sent_batches + st->received_batches);
  return resp;
}

absl::StatusOr<v1::ListConflictsResponse> AdminCore::ListConflicts(
    const v1::ListConflictsRequest& req) const {
  if (req.since_ms() < 0) return absl::InvalidArgumentError("since_ms: must not be negative");
  if (req.within_ms() < 0) return absl::InvalidArgumentError("within_ms: must not be negative");
  const int64_t now = clock_->NowMs();
  int64_t since = req.since_ms();
  if (req.within_ms() > 0) since = std::max(since, now - req.within_ms());
  const size_t limit = req.limit() == 0 ? 1000 : req.limit();
  ILP_ASSIGN_OR_RETURN(std::vector<v1::LostWrite> lost, store_->LostWrites(since));
  v1::ListConflictsResponse resp;
  resp.set_now_ms(now);
  size_t first = 0;
  if (lost.size() > limit) {
    first = lost.size() - limit;
    resp.set_truncated(true);
  }
  for (size_t i = first; i < lost.size(); ++i) *resp.add_conflicts() = std::move(lost[i]);
  return resp;
}

absl::StatusOr<v1::ListQuarantineResponse> AdminCore::ListQuarantine(
    const v1::ListQuarantineRequest& req) const {
  v1::ListQuarantineResponse resp;
  resp.set_now_ms(clock_->NowMs());
  resp.set_total(store_->QuarantineCount());
  ILP_ASSIGN_OR_RETURN(std::vector<v1::QuarantinedDelta> entries,
                       store_->ListQuarantine(req.limit() == 0 ? 100 : req.limit()));
  for (auto& q : entries) *resp.add_deltas() = std::move(q);
  return resp;
}

absl::StatusOr<v1::VerifyResponse> AdminCore::Verify(const v1::VerifyRequest& req) const {
  v1::VerifyResponse resp;
  const absl::Time start = absl::Now();
  resp.set_head(store_->LastSeq());
  resp.set_deep(req.deep());
  absl::Status st = req.deep() ? store_->VerifyChecksums() : absl::OkStatus();
  if (st.ok()) st = store_->Verify();
  resp.set_duration_ms(absl::ToInt64Milliseconds(absl::Now() - start));
  if (st.ok()) {
    resp.set_ok(true);
  } else if (st.code() == absl::StatusCode::kDataLoss) {
    resp.set_ok(false);
    resp.set_problems(std::string(st.message()));
  } else {
    return st;
  }
  return resp;
}

absl::StatusOr<v1::SatusehatRetryResponse> AdminCore::SatusehatRetry(const v1::SatusehatRetryRequest& req) {
  if (!req.held()) return absl::InvalidArgumentError("held: must be true (only held-back records are retried)");
  if (!satusehat_retry_) {
    return absl::FailedPreconditionError(
        absl::StrCat("node ", cfg_.node_id(), " exports nothing to SATUSEHAT (no satusehat block)"));
  }
  ILP_ASSIGN_OR_RETURN(const int n, satusehat_retry_());
  v1::SatusehatRetryResponse out;
  out.set_held(n);
  return out;
}

absl::StatusOr<v1::SatusehatStatusResponse> AdminCore::SatusehatCounts() const {
  if (!satusehat_status_) return v1::SatusehatStatusResponse();
  return satusehat_status_(-1);
}

absl::StatusOr<v1::SatusehatStatusResponse> AdminCore::SatusehatStatus(
    const v1::SatusehatStatusRequest& req) const {
  if (!satusehat_status_) {
    v1::SatusehatStatusResponse off;
    off.set_node_id(cfg_.node_id());
    return off;
  }
  if (req.limit() < 0 || req.limit() > 1000) {
    return absl::InvalidArgumentError("limit: must be 0-1000");
  }
  return satusehat_status_(req.limit());
}

}  // namespace ilp
