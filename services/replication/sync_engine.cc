#include "services/replication/sync_engine.h"

#include <zstd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/replication/scope.h"
#include "storage/store/keys.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

constexpr char kDownCursor[] = "cursor/down";
constexpr char kReportPrefix[] = "report/";
constexpr char kReportRxSeq[] = "reports-rx-seq";      // last receipt counter used
constexpr char kReportSentSeq[] = "reports-sent-seq";  // relayed up to this receipt
constexpr uint64_t kMaxPayload = 256ull << 20;

std::string UpCursorKey(const std::string& child) { return absl::StrCat("cursor/up/", child); }
std::string PeerKey(const std::string& node) { return absl::StrCat("peer/", node); }

std::string Compress(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

absl::StatusOr<std::string> Decompress(const std::string& z) {
  unsigned long long size = ZSTD_getFrameContentSize(z.data(), z.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxPayload) {
    return absl::DataLossError("sync batch payload is not a zstd frame of known size");
  }
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), z.data(), z.size());
  if (ZSTD_isError(n) || n != size) return absl::DataLossError("sync batch payload does not decompress");
  return out;
}

// Every stamp a delta carries, for the HLC receive rule.
void ObserveAll(HybridClock* hlc, const v1::Record& r, bool from_parent) {
  auto see = [&](const v1::Stamp& s) {
    if (s.wall_ms() != 0) hlc->Observe(s, from_parent);
  };
  see(r.created());
  if (r.has_error()) see(r.error().stamp());
  for (const auto& m : r.moves()) see(m.stamp());
  if (r.has_patient()) {
    for (const auto& v : r.patient().versions()) see(v.stamp());
    for (const auto& e : r.patient().elements()) {
      see(e.value_stamp());
      for (const auto& a : e.adds()) see(a);
    }
  }
}

bool TouchesVillage(const v1::Record& delta) {
  if (!delta.has_patient()) return false;
  for (const auto& v : delta.patient().versions()) {
    if (v.field() == "address.village_code") return true;
  }
  return false;
}

}  // namespace

// A session's stream with byte accounting.
struct SyncEngine::SessionIo {
  SyncStream* stream;
  SessionStats stats;
  v1::SyncMessage in;
  bool Send(const v1::SyncMessage& m) {
    stats.sent_bytes += m.ByteSizeLong();
    return stream->Write(m);
  }
  bool Recv() {
    if (!stream->Read(&in)) return false;
    stats.received_bytes += in.ByteSizeLong();
    return true;
  }
};

SyncEngine::SyncEngine(const v1::NodeConfig& cfg, Store* store, HybridClock* hlc)
    : cfg_(cfg), store_(store), hlc_(hlc) {}

uint64_t SyncEngine::MetaU64(const std::string& key) const {
  uint64_t v = 0;
  absl::StatusOr<std::string> s = store_->GetMeta(key);
  if (s.ok()) (void)absl::SimpleAtoi(*s, &v);
  return v;
}

absl::StatusOr<v1::PeerState> SyncEngine::Peer(const std::string& node_id) const {
  ILP_ASSIGN_OR_RETURN(std::string raw, store_->GetMeta(PeerKey(node_id)));
  v1::PeerState p;
  if (!p.ParseFromString(raw)) return absl::DataLossError("peer state does not parse");
  return p;
}

void SyncEngine::SavePeer(const v1::PeerState& p) {
  (void)store_->PutMeta(PeerKey(p.node_id()), p.SerializeAsString());
}

std::set<std::string> SyncEngine::Subtree() const {
  std::set<std::string> out;
  for (const auto& c : cfg_.children()) {
    out.insert(c.node_id());
    absl::StatusOr<v1::PeerState> p = Peer(c.node_id());
    if (p.ok()) out.insert(p->subtree().begin(), p->subtree().end());
  }
  return out;
}

void SyncEngine::RecordParentError(const absl::Status& error) {
  RecordPeerError(cfg_.parent_id(), "parent", error);
}

void SyncEngine::RecordPeerError(const std::string& peer, const std::string& role,
                                 const absl::Status& error) {
  std::lock_guard<std::mutex> l(mu_);
  v1::PeerState p = Peer(peer).value_or(v1::PeerState());
  p.set_node_id(peer);
  p.set_role(role);
  p.set_last_error(std::string(error.message()));
  p.set_last_error_ms(hlc_->physical()->NowMs());
  p.set_errors(p.errors() + 1);
  SavePeer(p);
}

v1::NodeReport SyncEngine::SelfReport() const {
  const int64_t now = hlc_->physical()->NowMs();
  v1::NodeReport r;
  r.set_node_id(cfg_.node_id());
  r.set_tier(cfg_.tier());
  r.set_parent_id(cfg_.parent_id());
  const StoreStats stats = store_->Stats();
  r.set_head(stats.last_seq);
  for (const auto& [kind, n] : stats.records_by_kind) r.set_records(r.records() + n);
  for (const auto& c : cfg_.children()) r.add_children(c.node_id());
  r.set_last_success_age_ms(-1);
  if (cfg_.parent_id().empty()) return r;
  v1::PeerState parent = Peer(cfg_.parent_id()).value_or(v1::PeerState());
  if (parent.last_success_ms() > 0) {
    r.set_last_success_age_ms(std::max<int64_t>(0, now - parent.last_success_ms()));
  }
  if (!parent.last_error().empty() && parent.last_error_ms() >= parent.last_success_ms()) {
    r.set_last_error(parent.last_error());
    r.set_last_error_age_ms(std::max<int64_t>(0, now - parent.last_error_ms()));
  }
  absl::StatusOr<Backlog> b = store_->BacklogAfter(parent.sent_cursor(), cfg_.parent_id());
  if (b.ok()) {
    r.set_pending_changes(b->changes);
    r.set_pending_bytes(b->bytes);
    if (b->changes > 0) r.set_oldest_unsent_age_ms(std::max<int64_t>(0, now - b->oldest_ms));
  }
  return r;
}

std::map<std::string, v1::StoredReport> SyncEngine::Reports() const {
  std::map<std::string, v1::StoredReport> out;
  for (const auto& [key, raw] : store_->ScanMeta(kReportPrefix)) {
    v1::StoredReport r;
    if (r.ParseFromString(raw)) out[r.report().node_id()] = std::move(r);
  }
  return out;
}

std::vector<v1::NodeReport> SyncEngine::ReportsToRelay(uint64_t* max_rx_seq) const {
  const int64_t now = hlc_->physical()->NowMs();
  const uint64_t sent = MetaU64(kReportSentSeq);
  *max_rx_seq = sent;
  std::vector<v1::NodeReport> out;
  for (auto& [id, stored] : Reports()) {
    if (stored.rx_seq() <= sent) continue;
    *max_rx_seq = std::max(*max_rx_seq, stored.rx_seq());
    v1::NodeReport r = stored.report();
    r.set_age_ms(r.age_ms() + std::max<int64_t>(0, now - stored.received_ms()));
    out.push_back(std::move(r));
  }
  return out;
}

absl::Status SyncEngine::StoreReports(const v1::Hello& hello) {
  std::lock_guard<std::mutex> l(mu_);
  const int64_t now = hlc_->physical()->NowMs();
  uint64_t rx = MetaU64(kReportRxSeq);
  ApplyRequest req;
  for (const v1::NodeReport& r : hello.reports()) {
    // A report about this node or its ancestors would be a loop; drop it.
    if (r.node_id().empty() || r.node_id() == cfg_.node_id()) continue;
    v1::StoredReport stored;
    *stored.mutable_report() = r;
    stored.set_received_ms(now);
    stored.set_rx_seq(++rx);
    req.meta.emplace_back(absl::StrCat(kReportPrefix, r.node_id()), stored.SerializeAsString());
  }
  if (req.meta.empty()) return absl::OkStatus();
  req.meta.emplace_back(kReportRxSeq, absl::StrCat(rx));
  return store_->Apply(std::move(req)).status();
}

absl::StatusOr<SyncEngine::Outgoing> SyncEngine::NextBatch(uint64_t cursor,
                                                           const std::string& peer,
                                                           ChildScope* scope) {
  Outgoing out;
  v1::ChangeList list;
  std::set<std::string> full;  // records already sent whole in this batch
  size_t bytes = 0;
  const size_t max = cfg_.max_batch_bytes();
  uint64_t pos = cursor;
  bool full_batch = false;
  while (!full_batch) {
    ILP_ASSIGN_OR_RETURN(std::vector<v1::Change> changes, store_->ReadChanges(pos, 1024, max));
    if (changes.empty()) break;
    for (v1::Change& c : changes) {
      if (bytes >= max) {
        full_batch = true;
        break;
      }
      pos = c.seq();
      if (c.via() == peer) continue;  // never echo a peer's own changes
      if (scope != nullptr) {
        absl::StatusOr<v1::Record> state = store_->Get(c.delta().id());
        if (!state.ok() || !scope->Contains(*state)) continue;
        if (TouchesVillage(c.delta())) {
          // The patient may have moved into the child's area: send the whole
          // patient and everything recorded about it.
          std::vector<std::string> ids = {state->id()};
          for (auto& id : store_->ScanIndex(IndexKey('p', {state->id(), ""}), SIZE_MAX)) ids.push_back(id);
          for (const std::string& id : ids) {
            if (!full.insert(id).second) continue;
            absl::StatusOr<v1::Record> r = store_->Get(id);
            if (!r.ok()) continue;
            list.add_records(r->SerializeAsString());
            bytes += list.records(list.records_size() - 1).size();
            ++out.changes;
          }
          continue;
        }
      }
      list.add_records(c.delta().SerializeAsString());
      bytes += list.records(list.records_size() - 1).size();
      ++out.changes;
    }
  }
  v1::Batch* b = out.msg.mutable_batch();
  b->set_cursor(pos);
  b->set_count(static_cast<uint32_t>(out.changes));
  b->set_payload(Compress(list.SerializeAsString()));
  b->set_last(pos >= store_->LastSeq());
  return out;
}

absl::StatusOr<uint64_t> SyncEngine::ApplyBatch(const v1::Batch& batch, const std::string& peer,
                                                const std::string& cursor_key, bool from_parent) {
  ILP_ASSIGN_OR_RETURN(std::string raw, Decompress(batch.payload()));
  v1::ChangeList list;
  if (!list.ParseFromString(raw)) return absl::DataLossError("sync batch does not parse");
  ApplyRequest req;
  req.via = peer;
  for (const std::string& bytes : list.records()) {
    v1::Record r;
    if (!r.ParseFromString(bytes)) return absl::DataLossError("sync batch record does not parse");
    ObserveAll(hlc_, r, from_parent);
    req.deltas.push_back(std::move(r));
  }
  req.meta.emplace_back(cursor_key, absl::StrCat(batch.cursor()));
  req.hlc_high_water = hlc_->HighWater();
  req.sync = true;
  ILP_ASSIGN_OR_RETURN(ApplyResult res, store_->Apply(std::move(req)));
  return res.changed;
}

void SyncEngine::FinishPeer(const std::string& peer, const std::string& role,
                            uint64_t sent_cursor, const SessionStats& s,
                            const std::set<std::string>* subtree) {
  std::lock_guard<std::mutex> l(mu_);
  v1::PeerState p = Peer(peer).value_or(v1::PeerState());
  p.set_node_id(peer);
  p.set_role(role);
  p.set_last_success_ms(hlc_->physical()->NowMs());
  p.clear_last_error();
  p.set_sent_cursor(sent_cursor);
  p.set_received_cursor(role == "parent" ? MetaU64(kDownCursor) : MetaU64(UpCursorKey(peer)));
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
  // (before scope filtering, so an upper bound for a child).
  Backlog backlog = store_->BacklogAfter(sent_cursor, peer).value_or(Backlog());
  p.set_pending_changes(backlog.changes);
  p.set_pending_bytes(backlog.bytes);
  p.set_oldest_unsent_ms(backlog.oldest_ms);
  SavePeer(p);
  if (role == "child") {
    // The child's report was made at its Hello, before this session drained
    // its backlog: bring it up to the session's end (and relay it again).
    absl::StatusOr<std::string> raw = store_->GetMeta(absl::StrCat(kReportPrefix, peer));
    v1::StoredReport stored;
    if (raw.ok() && stored.ParseFromString(*raw)) {
      v1::NodeReport* r = stored.mutable_report();
      r->set_age_ms(0);
      r->set_pending_changes(0);
      r->set_pending_bytes(0);
      r->set_oldest_unsent_age_ms(0);
      r->clear_last_error();
      r->set_last_error_age_ms(0);
      r->set_last_success_age_ms(0);
      stored.set_received_ms(hlc_->physical()->NowMs());
      const uint64_t rx = MetaU64(kReportRxSeq) + 1;
      stored.set_rx_seq(rx);
      ApplyRequest req;
      req.meta.emplace_back(absl::StrCat(kReportPrefix, peer), stored.SerializeAsString());
      req.meta.emplace_back(kReportRxSeq, absl::StrCat(rx));
      (void)store_->Apply(std::move(req));
    }
  }
}

absl::Status SyncEngine::SendBatches(SessionIo* io, uint64_t* cursor, const std::string& peer,
                                     const ChildScopeSpec* scope, const CutFn& cut) {
  for (;;) {
    std::unique_ptr<ChildScope> sc;
    if (scope) sc = std::make_unique<ChildScope>(store_, scope->area, scope->addressed);
    ILP_ASSIGN_OR_RETURN(Outgoing o, NextBatch(*cursor, peer, sc.get()));
    if (!io->Send(o.msg)) return cut("sending a batch");
    if (!io->Recv() || !io->in.has_ack()) return cut("waiting for an ack");
    *cursor = io->in.ack().cursor();
    io->stats.sent_changes += o.changes;
    ++io->stats.sent_batches;
    if (o.msg.batch().last()) return absl::OkStatus();
  }
}

absl::Status SyncEngine::ReceiveBatches(SessionIo* io, const std::string& peer,
                                        const std::string& cursor_key, bool from_parent,
                                        const CutFn& cut) {
  for (;;) {
    if (!io->Recv() || !io->in.has_batch()) return cut("waiting for a batch");
    ILP_RETURN_IF_ERROR(ApplyBatch(io->in.batch(), peer, cursor_key, from_parent).status());
    io->stats.received_changes += io->in.batch().count();
    ++io->stats.received_batches;
    v1::SyncMessage ack;
    ack.mutable_ack()->set_cursor(io->in.batch().cursor());
    if (!io->Send(ack)) return cut("sending an ack");
    if (io->in.batch().last()) return absl::OkStatus();
  }
}

absl::StatusOr<SessionStats> SyncEngine::RunChildSession(ClientSyncStream* stream) {
  SessionIo io{stream, {}, {}};
  const std::string& parent = cfg_.parent_id();
  const CutFn cut = [&](const char* where) {
    absl::Status s = stream->Finish();
    if (s.ok()) s = absl::UnavailableError("stream ended");
    return absl::Status(s.code(), absl::StrCat("sync with parent ", parent, " failed while ",
                                               where, ": ", s.message()));
  };
  v1::SyncMessage hello;
  v1::Hello* h = hello.mutable_hello();
  h->set_node_id(cfg_.node_id());
  h->set_tier(cfg_.tier());
  h->set_down_cursor(MetaU64(kDownCursor));
  for (const auto& n : Subtree()) h->add_subtree(n);
  *h->add_reports() = SelfReport();
  uint64_t relayed_rx = 0;
  for (auto& r : ReportsToRelay(&relayed_rx)) *h->add_reports() = std::move(r);
  *h->mutable_now() = hlc_->Now();
  if (!io.Send(hello)) return cut("sending hello");
  if (!io.Recv() || !io.in.has_welcome()) return cut("waiting for welcome");
  // The parent stores the reports before it welcomes us: relay them once.
  if (relayed_rx > MetaU64(kReportSentSeq)) {
    ILP_RETURN_IF_ERROR(store_->PutMeta(kReportSentSeq, absl::StrCat(relayed_rx)));
  }
  if (io.in.welcome().node_id() != parent) {
    stream->WritesDone();
    (void)stream->Finish();
    return absl::FailedPreconditionError(absl::StrCat("parent_address answers as node ",
                                                      io.in.welcome().node_id(),
                                                      ", but parent_id is ", parent));
  }
  hlc_->Observe(io.in.welcome().now(), /*from_parent=*/true);
  uint64_t cursor = io.in.welcome().up_cursor();
  ILP_RETURN_IF_ERROR(SendBatches(&io, &cursor, parent, nullptr, cut));             // up
  ILP_RETURN_IF_ERROR(ReceiveBatches(&io, parent, kDownCursor, /*from_parent=*/true, cut));  // down
  stream->WritesDone();
  absl::Status fin = stream->Finish();
  if (!fin.ok()) {
    return absl::Status(fin.code(), absl::StrCat("sync with parent ", parent, ": ", fin.message()));
  }
  FinishPeer(parent, "parent", cursor, io.stats, nullptr);
  return io.stats;
}

absl::Status SyncEngine::ServeChildSession(SyncStream* stream) {
  SessionIo io{stream, {}, {}};
  if (!io.Recv() || !io.in.has_hello()) {
    return absl::InvalidArgumentError("sync session must open with Hello");
  }
  const v1::Hello hello = io.in.hello();
  const v1::ChildConfig* child = nullptr;
  for (const auto& c : cfg_.children()) {
    if (c.node_id() == hello.node_id()) child = &c;
  }
  if (child == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "node ", hello.node_id(), " is not a configured child of ", cfg_.node_id()));
  }
  absl::Status st = ServeKnownChild(stream, &io, hello, *child);
  if (!st.ok()) RecordPeerError(child->node_id(), "child", st);
  return st;
}

absl::Status SyncEngine::ServeKnownChild(SyncStream* stream, SessionIo* io_ptr,
                                         const v1::Hello& hello, const v1::ChildConfig& child) {
  SessionIo& io = *io_ptr;
  const std::string& id = child.node_id();
  const CutFn cut = [&](const char* where) {
    return absl::UnavailableError(absl::StrCat("session with child ", id, " cut while ", where));
  };
  hlc_->Observe(hello.now(), /*from_parent=*/false);
  ILP_RETURN_IF_ERROR(StoreReports(hello));
  v1::SyncMessage welcome;
  welcome.mutable_welcome()->set_node_id(cfg_.node_id());
  welcome.mutable_welcome()->set_up_cursor(MetaU64(UpCursorKey(id)));
  *welcome.mutable_welcome()->mutable_now() = hlc_->Now();
  welcome.mutable_welcome()->set_head(store_->LastSeq());
  if (!io.Send(welcome)) return cut("sending welcome");
  ILP_RETURN_IF_ERROR(ReceiveBatches(&io, id, UpCursorKey(id), /*from_parent=*/false, cut));  // up
  const std::set<std::string> subtree(hello.subtree().begin(), hello.subtree().end());
  ChildScopeSpec scope{{child.working_area().begin(), child.working_area().end()}, subtree};
  scope.addressed.insert(id);
  uint64_t cursor = hello.down_cursor();
  ILP_RETURN_IF_ERROR(SendBatches(&io, &cursor, id, &scope, cut));  // down
  if (io.Recv()) return absl::InvalidArgumentError("unexpected message after the last ack");
  FinishPeer(id, "child", cursor, io.stats, &subtree);
  return absl::OkStatus();
}

}  // namespace ilp
