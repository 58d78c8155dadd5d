// The sync engine's stored state: meta reads where only NOT_FOUND means
// absent, peer states, alarms and status reports, and the record of a
// finished session.
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/replication/meta_keys.h"
#include "services/replication/sync_engine.h"
#include "spdlog/spdlog.h"
#include "storage/util/status_macros.h"

namespace ilp {

using sync_meta::kDownCursor;
using sync_meta::kReportPrefix;
using sync_meta::kReportRxSeq;
using sync_meta::kReportSentSeq;
using sync_meta::PeerKey;
using sync_meta::UpCursorKey;

absl::StatusOr<uint64_t> SyncEngine::MetaU64(const std::string& key) const {
  absl::StatusOr<std::string> s = store_->GetMeta(key);
  if (absl::IsNotFound(s.status())) return 0;  // never stored
  if (!s.ok()) return s.status();
  uint64_t v = 0;
  // A counter that does not parse reads as 0: for a cursor that resends
  // rather than skips, and resent batches merge to no change.
  if (!absl::SimpleAtoi(*s, &v)) {
    spdlog::error("meta {} does not parse as a number; reading it as 0", key);
    v = 0;
  }
  return v;
}

absl::StatusOr<std::string> SyncEngine::MetaOrEmpty(const std::string& key) const {
  absl::StatusOr<std::string> s = store_->GetMeta(key);
  if (absl::IsNotFound(s.status())) return std::string();
  return s;
}

absl::StatusOr<std::string> SyncEngine::Incarnation() const { return MetaOrEmpty("incarnation"); }

absl::StatusOr<v1::PeerState> SyncEngine::KnownPeer(const std::string& node_id) const {
  absl::StatusOr<v1::PeerState> p = Peer(node_id);
  if (absl::IsNotFound(p.status())) return v1::PeerState();
  return p;
}

absl::StatusOr<v1::PeerState> SyncEngine::Peer(const std::string& node_id) const {
  ILP_ASSIGN_OR_RETURN(std::string raw, store_->GetMeta(PeerKey(node_id)));
  v1::PeerState p;
  if (!p.ParseFromString(raw)) return absl::DataLossError("peer state does not parse");
  return p;
}

absl::Status SyncEngine::SavePeer(const v1::PeerState& p) {
  return store_->PutMeta(PeerKey(p.node_id()), p.SerializeAsString());
}

void SyncEngine::RaiseAlarm(const std::string& peer, const std::string& role,
                            const std::string& what) {
  spdlog::error("ALARM peer {} ({}): {}", peer, role, what);
  absl::MutexLock l(&mu_);
  absl::StatusOr<v1::PeerState> known = KnownPeer(peer);
  if (!known.ok()) {
    // Never overwrite a peer state we cannot read (it holds its incarnation).
    spdlog::error("cannot record the alarm for peer {}: {}", peer, known.status().ToString());
    return;
  }
  v1::PeerState p = std::move(*known);
  p.set_node_id(peer);
  p.set_role(role);
  p.set_alarm(what);
  p.set_alarm_ms(hlc_->physical()->NowMs());
  if (absl::Status s = SavePeer(p); !s.ok()) {
    spdlog::error("cannot record the alarm for peer {}: {}", peer, s.ToString());
  }
}

absl::StatusOr<std::set<std::string>> SyncEngine::Subtree() const {
  std::set<std::string> out;
  for (const auto& c : cfg_.children()) {
    out.insert(c.node_id());
    ILP_ASSIGN_OR_RETURN(v1::PeerState p, KnownPeer(c.node_id()));
    out.insert(p.subtree().begin(), p.subtree().end());
  }
  return out;
}

void SyncEngine::RecordParentError(const absl::Status& error) {
  RecordPeerError(cfg_.parent_id(), "parent", error);
}

void SyncEngine::RecordPeerError(const std::string& peer, const std::string& role,
                                 const absl::Status& error) {
  absl::MutexLock l(&mu_);
  absl::StatusOr<v1::PeerState> known = KnownPeer(peer);
  if (!known.ok()) {
    // Status is best effort, but a peer state we cannot read is never overwritten.
    spdlog::error("cannot record the error of peer {} ({}): reading its state: {}", peer,
                  error.ToString(), known.status().ToString());
    return;
  }
  v1::PeerState p = std::move(*known);
  p.set_node_id(peer);
  p.set_role(role);
  p.set_last_error(std::string(error.message()));
  p.set_last_error_ms(hlc_->physical()->NowMs());
  p.set_errors(p.errors() + 1);
  if (absl::Status s = SavePeer(p); !s.ok()) {
    // Status is best effort; the session's own error already reached the caller.
    spdlog::warn("cannot record the error of peer {}: {}", peer, s.ToString());
  }
}

absl::Status SyncEngine::CountBacklogs() {
  std::vector<std::string> peers;
  if (!cfg_.parent_id().empty()) peers.push_back(cfg_.parent_id());
  for (const auto& c : cfg_.children()) peers.push_back(c.node_id());
  for (const std::string& id : peers) {
    ILP_ASSIGN_OR_RETURN(const v1::PeerState p, KnownPeer(id));
    ILP_RETURN_IF_ERROR(store_->Pending(id, p.sent_cursor()).status());
  }
  return absl::OkStatus();
}

namespace {

constexpr int kMaxReportedOrgs = 64;

// What a report may claim a node exports: a config's org ids (validated
// there as 1-64 characters), no more than a district would hold.
bool PlausibleSatusehatOrgs(const v1::NodeReport& r) {
  if (r.satusehat_orgs_size() > kMaxReportedOrgs) return false;
  for (const std::string& org : r.satusehat_orgs()) {
    if (org.empty() || org.size() > 64) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<v1::NodeReport> SyncEngine::SelfReport() const {
  const int64_t now = hlc_->physical()->NowMs();
  v1::NodeReport r;
  r.set_node_id(cfg_.node_id());
  r.set_tier(cfg_.tier());
  r.set_parent_id(cfg_.parent_id());
  const StoreStats stats = store_->Stats();
  r.set_head(stats.last_seq);
  for (const auto& [kind, n] : stats.records_by_kind) r.set_records(r.records() + n);
  for (const auto& c : cfg_.children()) r.add_children(c.node_id());
  for (const auto& o : cfg_.satusehat().organizations()) r.add_satusehat_orgs(o.org_ihs());
  r.set_last_success_age_ms(-1);
  if (cfg_.parent_id().empty()) return r;
  ILP_ASSIGN_OR_RETURN(const v1::PeerState parent, KnownPeer(cfg_.parent_id()));
  if (parent.last_success_ms() > 0) {
    r.set_last_success_age_ms(std::max<int64_t>(0, now - parent.last_success_ms()));
  }
  if (!parent.last_error().empty() && parent.last_error_ms() >= parent.last_success_ms()) {
    r.set_last_error(parent.last_error());
    r.set_last_error_age_ms(std::max<int64_t>(0, now - parent.last_error_ms()));
  }
  ILP_ASSIGN_OR_RETURN(const Backlog b, store_->Pending(cfg_.parent_id(), parent.sent_cursor()));
  r.set_pending_changes(b.changes);
  r.set_pending_bytes(b.bytes);
  if (b.changes > 0) r.set_oldest_unsent_age_ms(std::max<int64_t>(0, now - b.oldest_ms));
  return r;
}

absl::StatusOr<std::map<std::string, v1::StoredReport>> SyncEngine::Reports() const {
  std::map<std::string, v1::StoredReport> out;
  ILP_ASSIGN_OR_RETURN(auto reports, store_->ScanMeta(kReportPrefix));
  for (const auto& [key, raw] : reports) {
    v1::StoredReport r;
    if (r.ParseFromString(raw)) {
      out[r.report().node_id()] = std::move(r);
    } else {
      // A status report only: skipping it hides one node's status until it
      // reports again, which is better than stopping replication over it.
      spdlog::error("meta {} does not parse; skipping that status report", key);
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> SyncEngine::SatusehatExporters() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& o : cfg_.satusehat().organizations()) out[o.org_ihs()].push_back(cfg_.node_id());
  ILP_ASSIGN_OR_RETURN(const std::set<std::string> subtree, Subtree());
  ILP_ASSIGN_OR_RETURN(const auto reports, Reports());  // by node id, so each org's list is sorted
  for (const auto& [id, stored] : reports) {
    if (subtree.count(id) == 0) continue;
    for (const std::string& org : stored.report().satusehat_orgs()) out[org].push_back(id);
  }
  return out;
}

absl::StatusOr<std::vector<v1::NodeReport>> SyncEngine::ReportsToRelay(uint64_t* max_rx_seq) const {
  const int64_t now = hlc_->physical()->NowMs();
  ILP_ASSIGN_OR_RETURN(const uint64_t sent, MetaU64(kReportSentSeq));
  *max_rx_seq = sent;
  std::vector<v1::NodeReport> out;
  ILP_ASSIGN_OR_RETURN(auto reports, Reports());
  for (auto& [id, stored] : reports) {
    if (stored.rx_seq() <= sent) continue;
    *max_rx_seq = std::max(*max_rx_seq, stored.rx_seq());
    v1::NodeReport r = stored.report();
    r.set_age_ms(r.age_ms() + std::max<int64_t>(0, now - stored.received_ms()));
    out.push_back(std::move(r));
  }
  return out;
}

absl::Status SyncEngine::StoreReports(const v1::Hello& hello) {
  absl::MutexLock l(&mu_);
  const int64_t now = hlc_->physical()->NowMs();
  ILP_ASSIGN_OR_RETURN(uint64_t rx, MetaU64(kReportRxSeq));
  ApplyRequest req;
  for (const v1::NodeReport& r : hello.reports()) {
    // A report about this node or its ancestors would be a loop; drop it.
    if (r.node_id().empty() || r.node_id() == cfg_.node_id()) continue;
    v1::StoredReport stored;
    *stored.mutable_report() = r;
    if (!PlausibleSatusehatOrgs(r)) {
      // A status report only: its other figures are kept.
      spdlog::warn("child {} relayed a report of {} with {} SATUSEHAT orgs (at most {}, each 1-64 characters); "
                   "ignoring them", hello.node_id(), r.node_id(), r.satusehat_orgs_size(), kMaxReportedOrgs);
      stored.mutable_report()->clear_satusehat_orgs();
    }
    stored.set_received_ms(now);
    stored.set_rx_seq(++rx);
    req.meta.emplace_back(absl::StrCat(kReportPrefix, r.node_id()), stored.SerializeAsString());
  }
  if (req.meta.empty()) return absl::OkStatus();
  req.meta.emplace_back(kReportRxSeq, absl::StrCat(rx));
  return store_->Apply(std::move(req)).status();
}

absl::Status SyncEngine::FinishPeer(const std::string& peer, const std::string& role,
                                    uint64_t sent_cursor, const SessionStats& s,
                                    const std::set<std::string>* subtree) {
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(v1::PeerState p, KnownPeer(peer));
  p.set_node_id(peer);
  p.set_role(role);
  p.set_last_success_ms(hlc_->physical()->NowMs());
  p.clear_last_error();
  p.set_sent_cursor(sent_cursor);
  ILP_ASSIGN_OR_RETURN(const uint64_t received,
                       MetaU64(role == "parent" ? kDownCursor : UpCursorKey(peer)));
  p.set_received_cursor(received);
  p.set_sessions(p.sessions() + 1);
  p.set_changes_sent(p.changes_sent() + s.sent_changes);
  p.set_changes_received(p.changes_received() + s.received_changes);
  p.set_bytes_sent(p.bytes_sent() + s.sent_bytes);
  p.set_bytes_received(p.bytes_received() + s.received_bytes);
  if (subtree) {
    p.clear_subtree();
    for (const auto& n : *subtree) p.add_subtree(n);
  }
  // Pending: our changes after what the peer acknowledged, not from the peer
  // (before scope filtering, so an upper bound for a child). This moves the
  // store's counters for the peer over what the session acknowledged, before
  // status can read the new cursor (SavePeer below).
  ILP_ASSIGN_OR_RETURN(const Backlog backlog, store_->Pending(peer, sent_cursor));
  p.set_pending_changes(backlog.changes);
  p.set_pending_bytes(backlog.bytes);
  p.set_oldest_unsent_ms(backlog.oldest_ms);
  if (absl::Status st = SavePeer(p); !st.ok()) {
    // The session itself is complete and its cursors durable; only status lags.
    spdlog::warn("cannot record the session with peer {}: {}", peer, st.ToString());
  }
  if (role == "child") {
    // The child's report was made at its Hello, before this session drained
    // its backlog: bring it up to the session's end (and relay it again).
    ILP_ASSIGN_OR_RETURN(const std::string raw, MetaOrEmpty(absl::StrCat(kReportPrefix, peer)));
    v1::StoredReport stored;
    if (!raw.empty() && stored.ParseFromString(raw)) {
      v1::NodeReport* r = stored.mutable_report();
      r->set_age_ms(0);
      r->set_pending_changes(0);
      r->set_pending_bytes(0);
      r->set_oldest_unsent_age_ms(0);
      r->clear_last_error();
      r->set_last_error_age_ms(0);
      r->set_last_success_age_ms(0);
      stored.set_received_ms(hlc_->physical()->NowMs());
      ILP_ASSIGN_OR_RETURN(uint64_t rx, MetaU64(kReportRxSeq));
      ++rx;
      stored.set_rx_seq(rx);
      ApplyRequest req;
      req.meta.emplace_back(absl::StrCat(kReportPrefix, peer), stored.SerializeAsString());
      req.meta.emplace_back(kReportRxSeq, absl::StrCat(rx));
      if (absl::Status st = store_->Apply(std::move(req)).status(); !st.ok()) {
        // Only the relayed status of the child lags; its data is stored.
        spdlog::warn("cannot refresh the report of child {}: {}", peer, st.ToString());
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace ilp
