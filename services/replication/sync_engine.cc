#include "services/replication/sync_engine.h"

#include <algorithm>
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/replication/admission.h"
#include "services/replication/meta_keys.h"
#include "services/replication/scope.h"
#include "storage/merge/merge.h"
#include "spdlog/spdlog.h"
#include "storage/store/keys.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

using sync_meta::DownAckedKey;
using sync_meta::kDownCursor;
using sync_meta::kParentIncarnation;
using sync_meta::kReportSentSeq;
using sync_meta::kUpAcked;
using sync_meta::UpCursorKey;

// Node-wide memory for decompressing received batches at once.
constexpr size_t kDecompressionBudget = 96u << 20;


// Every stamp a delta carries, for the HLC receive rule.
void ObserveAll(HybridClock* hlc, const v1::Record& r) {
  auto see = [&](const v1::Stamp& s) {
    if (s.wall_ms() != 0) hlc->Observe(s);
  };
  see(r.created());
  if (r.has_error()) see(r.error().stamp());
  for (const auto& m : r.moves()) see(m.stamp());
  for (const auto& x : r.external_ids()) see(x.stamp());
  if (r.has_patient()) {
    for (const auto& v : r.patient().versions()) see(v.stamp());
    for (const auto& e : r.patient().elements()) {
      see(e.value_stamp());
      for (const auto& a : e.adds()) see(a);
    }
  }
}

// True if `delta` sets a patient's village; with `moves_only`, only if it
// changes the village of a patient the writer already had (a create sets
// the village too, but has no base).
bool SetsVillage(const v1::Record& delta, bool moves_only) {
  if (!delta.has_patient()) return false;
  for (const auto& v : delta.patient().versions()) {
    if (v.field() == "address.village_code" && (!moves_only || v.has_base())) return true;
  }
  return false;
}

// Batches go in columns from protocol version 2 on (docs/replication.md).
v1::BatchEncoding EncodingFor(uint32_t version) {
  return version >= 2 ? v1::BATCH_ENCODING_COLUMNAR : v1::BATCH_ENCODING_PROTOBUF;
}

// From protocol version 3 on, a half of a session with nothing to send is
// skipped: no empty batch, no ack, no fsync for it. Both sides decide from
// the Hello and the Welcome alone, so they agree. Up is idle when the
// parent already has everything up to the head the child announced (or
// takes nothing up: a full disk). Down is idle when nothing goes up and the
// parent's head at the Welcome is where the child's cursor stands; what
// goes up can bring something down in the same session (an echo, a
// patient's history), and what the parent logs from elsewhere meanwhile
// goes next session. Never after an alarm, whose batches reset cursors.
struct IdleHalves {
  bool up = false;
  bool down = false;
};
IdleHalves IdleHalvesOf(uint32_t version, const v1::Hello& hello, const v1::Welcome& welcome) {
  IdleHalves idle;
  if (version < 3 || !welcome.alarm().empty()) return idle;
  idle.up = welcome.up_cursor() >= hello.head() || !welcome.up_refused().empty();
  idle.down = idle.up && welcome.down_from() >= welcome.head();
  return idle;
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
    : cfg_(cfg), store_(store), hlc_(hlc), budget_(kDecompressionBudget) {}

absl::StatusOr<SyncEngine::Outgoing> SyncEngine::NextBatch(uint64_t cursor,
                                                           const std::string& peer,
                                                           ChildScope* scope, bool echo,
                                                           size_t max_batch, uint64_t until,
                                                           v1::BatchEncoding encoding,
                                                           const std::set<std::string>* only_via) {
  Outgoing out;
  v1::ChangeList list;
  std::set<std::string> full;  // records already sent whole in this batch
  size_t bytes = 0;
  const size_t max = max_batch;
  uint64_t pos = cursor;
  bool full_batch = false;
  while (!full_batch) {
    ILP_ASSIGN_OR_RETURN(std::vector<v1::Change> changes, store_->ReadChanges(pos, 1024, max));
    if (changes.empty()) break;
    for (v1::Change& c : changes) {
      if (bytes >= max || c.seq() > until) {
        full_batch = true;
        break;
      }
      if (only_via != nullptr && only_via->count(c.via()) == 0) {
        pos = c.seq();
        continue;
      }
      // Never echo a peer's own changes, except a child's move of a patient
      // into its area: it may lack what was written while they lived elsewhere.
      if (c.via() == peer && !echo && (scope == nullptr || !SetsVillage(c.delta(), /*moves_only=*/true))) {
        pos = c.seq();
        continue;
      }
      if (scope != nullptr && c.delta().has_audit()) {
        // The audit trail goes up only (docs/security.md); its events are
        // not records (Store::Get would not find them) and never go down.
        pos = c.seq();
        continue;
      }
      if (scope != nullptr) {
        absl::StatusOr<v1::Record> state = store_->Get(c.delta().id());
        if (!state.ok()) {
          // A logged change whose record cannot be read: fail the session
          // here, before the cursor passes it, so the change is not lost.
          return absl::Status(state.status().code(),
                              absl::StrCat("reading record of change ", c.seq(), ": ",
                                           state.status().message()));
        }
        pos = c.seq();
        ILP_ASSIGN_OR_RETURN(const bool in_scope, scope->Contains(*state));
        if (!in_scope) continue;
        if (SetsVillage(c.delta(), /*moves_only=*/false)) {
          // The patient may have moved into the child's area: send the whole
          // patient and everything recorded about it.
          std::vector<std::string> ids = {state->id()};
          ILP_ASSIGN_OR_RETURN(std::vector<std::string> about,
                               store_->ScanIndex(IndexKey('p', {state->id(), ""}), SIZE_MAX));
          for (auto& id : about) ids.push_back(id);
          for (const std::string& id : ids) {
            if (!full.insert(id).second) continue;
            ILP_ASSIGN_OR_RETURN(v1::Record r, store_->Get(id));
            list.add_records(r.SerializeAsString());
            bytes += list.records(list.records_size() - 1).size();
            ++out.changes;
          }
          continue;
        }
      }
      pos = c.seq();
      list.add_records(c.delta().SerializeAsString());
      bytes += list.records(list.records_size() - 1).size();
      ++out.changes;
    }
  }
  v1::Batch* b = out.msg.mutable_batch();
  b->set_cursor(pos);
  b->set_count(static_cast<uint32_t>(out.changes));
  ILP_RETURN_IF_ERROR(EncodeBatchPayload(list, encoding, b));
  b->set_last(pos >= std::min(until, store_->LastSeq()));
  return out;
}

void SyncEngine::Admit(v1::Record delta, const v1::Record* stored, const ChildTrust& trust,
                       ApplyRequest* req) const {
  absl::Status ok = AdmitFromChild(delta, stored, trust);
  if (ok.ok()) {
    req->deltas.push_back(std::move(delta));
    return;
  }
  v1::QuarantinedDelta q;
  q.set_from_node(trust.child_id);
  q.set_record_id(delta.id().substr(0, 64));
  q.set_kind(KindName(delta));
  q.set_reason(std::string(ok.message()).substr(0, 1000));
  q.set_delta(delta.SerializeAsString());
  spdlog::warn("quarantined a delta from {} (record {}): {} (the whole reason: ilpctl quarantine)",
               trust.child_id, q.record_id(), ReasonForLog(q.reason()));
  req->quarantine.push_back(std::move(q));
}

absl::StatusOr<uint64_t> SyncEngine::ApplyBatch(const v1::Batch& batch, const std::string& peer,
                                                const std::string& cursor_key, bool from_parent,
                                                const ChildTrust* trust, uint64_t keep) {
  ILP_ASSIGN_OR_RETURN(ApplyResult res,
                       ApplyDeltas(batch, peer, trust,
                                   {{cursor_key, absl::StrCat(std::max(keep, batch.cursor()))}}));
  return res.changed;
}

absl::StatusOr<ApplyResult> SyncEngine::ApplyDeltas(
    const v1::Batch& batch, const std::string& peer, const ChildTrust* trust,
    std::vector<std::pair<std::string, std::string>> meta) {
  ILP_ASSIGN_OR_RETURN(const v1::ChangeList list,
                       DecodeBatchPayload(batch, cfg_.max_batch_bytes() + kBatchRecordAllowance,
                                          &budget_));
  ApplyRequest req;
  req.via = peer;
  std::vector<v1::Record> deltas(list.records_size());
  for (int i = 0; i < list.records_size(); ++i) {
    if (!deltas[i].ParseFromString(list.records(i))) {
      return absl::InvalidArgumentError(absl::StrCat("batch.payload.records[", i, "]: not a Record"));
    }
  }
  if (trust == nullptr) {
    req.deltas = std::move(deltas);  // a parent is trusted
  } else {
    // From a child, each delta is checked against the state stored before
    // this batch (one MultiGet for the batch); a bad one is quarantined and
    // the rest of the batch still applies.
    std::vector<absl::string_view> ids;
    ids.reserve(deltas.size());
    for (const v1::Record& r : deltas) ids.push_back(r.id());
    ILP_ASSIGN_OR_RETURN(std::vector<std::optional<v1::Record>> stored, store_->GetMany(ids));
    req.deltas.reserve(deltas.size());
    for (size_t i = 0; i < deltas.size(); ++i) {
      Admit(std::move(deltas[i]), stored[i] ? &*stored[i] : nullptr, *trust, &req);
    }
  }
  for (const v1::Record& r : req.deltas) ObserveAll(hlc_, r);
  req.meta = std::move(meta);
  req.hlc_high_water = hlc_->HighWater();
  req.sync = true;
  return store_->Apply(std::move(req));
}

absl::Status SyncEngine::SendBatches(SessionIo* io, uint64_t* cursor, const std::string& peer,
                                     const ChildScopeSpec* scope, bool echo, size_t max_batch,
                                     uint64_t until, const std::string& acked_key,
                                     v1::BatchEncoding encoding, const CutFn& cut) {
  const auto build = [&](uint64_t from) -> absl::StatusOr<Outgoing> {
    std::unique_ptr<ChildScope> sc;
    if (scope) sc = std::make_unique<ChildScope>(store_, scope->area, scope->addressed);
    return NextBatch(from, peer, sc.get(), echo, max_batch, until, encoding);
  };
  absl::StatusOr<Outgoing> next = build(*cursor);
  for (;;) {
    ILP_RETURN_IF_ERROR(next.status());
    Outgoing o = std::move(*next);
    if (!io->Send(o.msg)) return cut("sending a batch");
    // The next batch is read and compressed while the peer applies this one
    // (it starts where this one ends, which is what the ack must say). It
    // only reads the store; it is joined before anything else happens.
    std::future<absl::StatusOr<Outgoing>> ahead;
    if (!o.msg.batch().last()) ahead = std::async(std::launch::async, build, o.msg.batch().cursor());
    const bool acked = io->Recv();
    if (ahead.valid()) next = ahead.get();
    if (!acked) return cut("waiting for an ack");
    if (!io->in.has_ack() || io->in.ack().cursor() != o.msg.batch().cursor()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "protocol: expected an ack of cursor ", o.msg.batch().cursor(), " from ", peer));
    }
    *cursor = io->in.ack().cursor();
    // What the peer acknowledged, so a peer restored from an older copy is
    // resent to from here (see PlanChildSession).
    ILP_RETURN_IF_ERROR(store_->PutMeta(acked_key, absl::StrCat(*cursor)));
    io->stats.sent_changes += o.changes;
    ++io->stats.sent_batches;
    if (o.msg.batch().last()) return absl::OkStatus();
  }
}

absl::Status SyncEngine::ReceiveBatches(SessionIo* io, const std::string& peer,
                                        const std::string& cursor_key, bool from_parent,
                                        CursorWindow window, size_t max_batch,
                                        const ChildTrust* trust, const CutFn& cut) {
  uint64_t prev = window.from;
  for (;;) {
    if (!io->Recv()) return cut("waiting for a batch");
    if (!io->in.has_batch()) {
      return absl::InvalidArgumentError(absl::StrCat("protocol: expected a batch from ", peer));
    }
    const v1::Batch& b = io->in.batch();
    if (b.cursor() < prev || b.cursor() > window.head || (b.count() > 0 && b.cursor() == prev)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batch.cursor: ", b.cursor(), " from ", peer, " must move forward from ", prev,
          " and stay within the announced head ", window.head));
    }
    if (b.payload().size() > max_batch + kBatchRecordAllowance) {
      return absl::InvalidArgumentError(absl::StrCat("batch.payload: ", b.payload().size(),
                                                     " bytes compressed, over the cap"));
    }
    ILP_RETURN_IF_ERROR(ApplyBatch(b, peer, cursor_key, from_parent, trust, window.keep).status());
    prev = b.cursor();
    io->stats.received_changes += b.count();
    ++io->stats.received_batches;
    v1::SyncMessage ack;
    ack.mutable_ack()->set_cursor(b.cursor());
    if (!io->Send(ack)) return cut("sending an ack");
    if (b.last()) return absl::OkStatus();
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
  const auto refuse = [&](absl::Status s) {
    stream->WritesDone();
    // The parent's own status adds nothing to our reason for refusing it.
    (void)stream->Finish();
    return s;
  };
  v1::SyncMessage hello;
  v1::Hello* h = hello.mutable_hello();
  h->set_node_id(cfg_.node_id());
  h->set_tier(cfg_.tier());
  // Any read below that fails (other than absent) ends the session before
  // it starts: nothing is sent and no cursor moves.
  const auto fail = [&](const absl::Status& st) {
    stream->WritesDone();
    (void)stream->Finish();  // our own error is the reason; the parent's status adds nothing
    return absl::Status(st.code(), absl::StrCat("sync with parent ", parent,
                                                ": reading this node's state: ", st.message()));
  };
  absl::StatusOr<uint64_t> down_cursor = MetaU64(kDownCursor);
  absl::StatusOr<std::set<std::string>> subtree = Subtree();
  absl::StatusOr<v1::NodeReport> self = SelfReport();
  uint64_t relayed_rx = 0;
  absl::StatusOr<std::vector<v1::NodeReport>> relay = ReportsToRelay(&relayed_rx);
  absl::StatusOr<std::string> incarnation = Incarnation();
  absl::StatusOr<uint64_t> up_acked = MetaU64(kUpAcked);
  absl::StatusOr<std::string> parent_incarnation = MetaOrEmpty(kParentIncarnation);
  for (const absl::Status& st : {down_cursor.status(), subtree.status(), self.status(),
                                 relay.status(), incarnation.status(), up_acked.status(),
                                 parent_incarnation.status()}) {
    if (!st.ok()) return fail(st);
  }
  h->set_down_cursor(*down_cursor);
  for (const auto& n : *subtree) h->add_subtree(n);
  *h->add_reports() = std::move(*self);
  for (auto& r : *relay) *h->add_reports() = std::move(r);
  h->set_incarnation(*incarnation);
  h->set_head(store_->LastSeq());
  h->set_up_acked(*up_acked);
  h->set_parent_incarnation(*parent_incarnation);
  h->set_max_batch_bytes(cfg_.max_batch_bytes());
  h->set_protocol_version(versions_.newest);
  *h->mutable_now() = hlc_->Now();
  if (!io.Send(hello)) return cut("sending hello");
  if (!io.Recv()) return cut("waiting for welcome");
  if (!io.in.has_welcome()) {
    return refuse(absl::InvalidArgumentError(
        absl::StrCat("protocol: parent ", parent, " did not answer Hello with Welcome")));
  }
  const v1::Welcome welcome = io.in.welcome();
  const uint32_t version = std::max<uint32_t>(welcome.protocol_version(), 1);
  if (version < versions_.oldest || version > versions_.newest) {
    return refuse(absl::FailedPreconditionError(absl::StrCat(
        "protocol: parent ", parent, " chose sync protocol version ", version, "; this node speaks ",
        versions_.oldest, "-", versions_.newest, ": upgrade ", version < versions_.oldest ? "the parent" : "this node")));
  }
  // The parent stores the reports before it welcomes us: relay them once.
  absl::StatusOr<uint64_t> relayed_before = MetaU64(kReportSentSeq);
  if (!relayed_before.ok()) return fail(relayed_before.status());
  if (relayed_rx > *relayed_before) {
    ILP_RETURN_IF_ERROR(store_->PutMeta(kReportSentSeq, absl::StrCat(relayed_rx)));
  }
  if (welcome.node_id() != parent) {
    return refuse(absl::FailedPreconditionError(absl::StrCat(
        "parent_address answers as node ", welcome.node_id(), ", but parent_id is ", parent)));
  }
  hlc_->ObserveParentTime(welcome.now(), welcome.trusted_now_ms());
  if (!welcome.alarm().empty()) RaiseAlarm(parent, "parent", welcome.alarm());
  if (welcome.incarnation() != h->parent_incarnation()) {
    ILP_RETURN_IF_ERROR(store_->PutMeta(kParentIncarnation, welcome.incarnation()));
  }
  const size_t up_max = std::min<size_t>(cfg_.max_batch_bytes(),
                                         welcome.max_batch_bytes() ? welcome.max_batch_bytes()
                                                                   : cfg_.max_batch_bytes());
  uint64_t cursor = welcome.up_cursor();
  if (cursor > store_->LastSeq()) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
        "welcome.up_cursor: ", cursor, " is beyond our head ", store_->LastSeq())));
  }
  // What an ancestor's bundle receipt acknowledged reaches the parent from
  // above, within its scope (docs/bundles.md): it is not sent up again.
  ILP_ASSIGN_OR_RETURN(const uint64_t receipted, MetaU64(sync_meta::kBundleUpAcked));
  if (receipted > cursor && receipted <= h->head() && welcome.alarm().empty()) cursor = receipted;
  const IdleHalves idle = IdleHalvesOf(version, *h, welcome);
  if (welcome.up_refused().empty()) {
    if (!idle.up) {
      ILP_RETURN_IF_ERROR(
          SendBatches(&io, &cursor, parent, nullptr, /*echo=*/false, up_max,
                      /*until=*/h->head(), kUpAcked, EncodingFor(version), cut));  // up: within the head announced
    }
  } else {
    // The parent cannot store now (full disk): take what it sends and keep ours.
    spdlog::warn("parent {} takes nothing up this session: {}", parent, welcome.up_refused());
  }
  // Down: the parent's head grows during the session (our own batches), so
  // only forward movement is checked; the parent is trusted for its log.
  if (!idle.down) {
    ILP_ASSIGN_OR_RETURN(const uint64_t down_cursor_now, MetaU64(kDownCursor));
    ILP_RETURN_IF_ERROR(ReceiveBatches(&io, parent, kDownCursor, /*from_parent=*/true,
                                       {welcome.down_from(), UINT64_MAX,
                                        welcome.alarm().empty() ? down_cursor_now : 0},
                                       cfg_.max_batch_bytes(),
                                       /*trust=*/nullptr, cut));
  }
  stream->WritesDone();
  absl::Status fin = stream->Finish();
  if (!fin.ok()) {
    return absl::Status(fin.code(), absl::StrCat("sync with parent ", parent, ": ", fin.message()));
  }
  ILP_RETURN_IF_ERROR(FinishPeer(parent, "parent", cursor, io.stats, nullptr));
  if (!welcome.up_refused().empty()) {
    // The down phase is stored; the session still failed its up half.
    return absl::ResourceExhaustedError(absl::StrCat(
        "sync with parent ", parent, ": received its changes, sent none: ", welcome.up_refused()));
  }
  return io.stats;
}

absl::Status SyncEngine::ServeChildSession(SyncStream* stream, const SessionPeer& peer) {
  SessionIo io{stream, {}, {}};
  if (!io.Recv() || !io.in.has_hello()) {
    return absl::InvalidArgumentError("protocol: a sync session must open with Hello");
  }
  const v1::Hello hello = io.in.hello();
  if (peer.authenticated && hello.node_id() != peer.node_id) {
    return absl::UnauthenticatedError(absl::StrCat("hello.node_id: says ", hello.node_id(),
                                                   ", but the certificate is node ",
                                                   peer.node_id));
  }
  const v1::ChildConfig* child = nullptr;
  for (const auto& c : cfg_.children()) {
    if (c.node_id() == hello.node_id()) child = &c;
  }
  if (child == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "node ", hello.node_id(), " is not a configured child of ", cfg_.node_id()));
  }
  // A newer child speaks down to us; an older one must still be spoken to.
  const uint32_t version = std::min(std::max<uint32_t>(hello.protocol_version(), 1), versions_.newest);
  if (version < versions_.oldest) {
    absl::Status old = absl::FailedPreconditionError(absl::StrCat(
        "protocol: child ", hello.node_id(), " speaks sync protocol up to version ", version, "; ",
        cfg_.node_id(), " speaks ", versions_.oldest, "-", versions_.newest, ": upgrade the child"));
    RecordPeerError(child->node_id(), "child", old);
    return old;
  }
  {
    absl::MutexLock l(&mu_);
    if (!active_.insert(child->node_id()).second) {
      return absl::AbortedError(absl::StrCat("child ", child->node_id(),
                                             " already has a sync session open; retry later"));
    }
  }
  absl::Status st = ServeKnownChild(stream, &io, hello, *child);
  {
    absl::MutexLock l(&mu_);
    active_.erase(child->node_id());
  }
  if (!st.ok()) RecordPeerError(child->node_id(), "child", st);
  return st;
}

absl::StatusOr<std::set<std::string>> SyncEngine::BelieveSubtree(const v1::Hello& hello,
                                                                 const std::string& id) const {
  KnownTopology topo;
  topo.self_id = cfg_.node_id();
  topo.parent_id = cfg_.parent_id();
  for (const auto& c : cfg_.children()) {
    topo.children.push_back(c.node_id());
    if (c.node_id() == id) continue;
    ILP_ASSIGN_OR_RETURN(const v1::PeerState p, KnownPeer(c.node_id()));
    topo.believed[c.node_id()] = {p.subtree().begin(), p.subtree().end()};
  }
  std::vector<std::string> refused;
  std::set<std::string> out = BelievedSubtree(
      id, {hello.subtree().begin(), hello.subtree().end()}, topo, &refused);
  if (!refused.empty()) {
    spdlog::warn("child {} claims a subtree this node cannot believe: {}", id,
                 absl::StrJoin(refused, "; "));
  }
  return out;
}

absl::Status SyncEngine::PlanChildSession(const v1::Hello& hello, const std::string& id,
                                          uint64_t* up_from, uint64_t* down_from,
                                          std::string* alarm) const {
  ILP_ASSIGN_OR_RETURN(const uint64_t up_cursor, MetaU64(UpCursorKey(id)));
  const uint64_t head = store_->LastSeq();
  ILP_ASSIGN_OR_RETURN(const v1::PeerState known, KnownPeer(id));
  std::vector<std::string> why;
  if (!known.incarnation().empty() && known.incarnation() != hello.incarnation()) {
    why.push_back(absl::StrCat("its store incarnation changed from ", known.incarnation(), " to ",
                               hello.incarnation(), " (a new store, or a second device with this id)"));
  }
  if (hello.head() < up_cursor) {
    why.push_back(absl::StrCat("its head ", hello.head(), " is below the ", up_cursor,
                               " this node received (restored from an older copy?)"));
  }
  ILP_ASSIGN_OR_RETURN(const std::string own, Incarnation());
  if (!hello.parent_incarnation().empty() && hello.parent_incarnation() != own) {
    why.push_back(absl::StrCat("it last saw this node as incarnation ",
                               hello.parent_incarnation(), ", now ", own));
  }
  if (hello.down_cursor() > head) {
    why.push_back(absl::StrCat("its down cursor ", hello.down_cursor(), " is beyond this node's head ",
                               head, " (this node restored from an older copy?)"));
  }
  // Resend from the lower of what we hold and what the sender recorded as
  // acknowledged: a lost ack costs one batch, a restored store loses nothing.
  *up_from = std::min(up_cursor, hello.up_acked());
  // Never acknowledged anything down (absent): trust the child's cursor.
  ILP_ASSIGN_OR_RETURN(const std::string acked_raw, MetaOrEmpty(DownAckedKey(id)));
  uint64_t down_acked = hello.down_cursor();
  if (!acked_raw.empty()) {
    ILP_ASSIGN_OR_RETURN(down_acked, MetaU64(DownAckedKey(id)));
  }
  *down_from = std::min({hello.down_cursor(), down_acked, head});
  // The child's down cursor counts in another store's change log (this node
  // was replaced, e.g. a damaged store moved aside): send it everything.
  if (!hello.parent_incarnation().empty() && hello.parent_incarnation() != own) *down_from = 0;
  alarm->clear();
  if (!why.empty()) {
    *alarm = absl::StrCat("child ", id, ": ", absl::StrJoin(why, "; "),
                          "; cursors reset, data is resent both ways");
  }
  return absl::OkStatus();
}

absl::Status SyncEngine::ServeKnownChild(SyncStream* stream, SessionIo* io_ptr,
                                         const v1::Hello& hello, const v1::ChildConfig& child) {
  SessionIo& io = *io_ptr;
  const std::string& id = child.node_id();
  const CutFn cut = [&](const char* where) {
    return absl::UnavailableError(absl::StrCat("session with child ", id, " cut while ", where));
  };
  hlc_->Observe(hello.now());
  ILP_RETURN_IF_ERROR(StoreReports(hello));
  uint64_t up_from = 0, down_from = 0;
  std::string alarm;
  ILP_ASSIGN_OR_RETURN(const uint64_t up_cursor_before, MetaU64(UpCursorKey(id)));
  ILP_RETURN_IF_ERROR(PlanChildSession(hello, id, &up_from, &down_from, &alarm));
  if (!alarm.empty()) RaiseAlarm(id, "child", alarm);
  // The subtree is believed durably before anything it wrote is applied:
  // this node relays those changes up, and its parent admits them only from
  // the subtree this node claims (Subtree()), even if this session is cut.
  ILP_ASSIGN_OR_RETURN(const std::set<std::string> subtree, BelieveSubtree(hello, id));
  {
    absl::MutexLock l(&mu_);
    ILP_ASSIGN_OR_RETURN(v1::PeerState p, KnownPeer(id));
    if (p.incarnation() != hello.incarnation() ||
        std::set<std::string>(p.subtree().begin(), p.subtree().end()) != subtree) {
      p.set_node_id(id);
      p.set_role("child");
      p.set_incarnation(hello.incarnation());
      p.clear_subtree();
      for (const auto& n : subtree) p.add_subtree(n);
      ILP_RETURN_IF_ERROR(SavePeer(p));
    }
  }
  const size_t max_batch = std::min<size_t>(
      cfg_.max_batch_bytes(), hello.max_batch_bytes() ? hello.max_batch_bytes() : cfg_.max_batch_bytes());
  v1::SyncMessage welcome;
  v1::Welcome* w = welcome.mutable_welcome();
  w->set_node_id(cfg_.node_id());
  w->set_up_cursor(up_from);
  *w->mutable_now() = hlc_->Now();
  w->set_trusted_now_ms(hlc_->TrustedNowMs());
  w->set_head(store_->LastSeq());
  ILP_ASSIGN_OR_RETURN(const std::string own, Incarnation());
  w->set_incarnation(own);
  w->set_down_from(down_from);
  // A full disk takes nothing up but still sends down what it has.
  if (absl::Status room = store_->disk().Check(WriteClass::kData); !room.ok()) {
    if (!absl::IsResourceExhausted(room)) return room;
    w->set_up_refused(std::string(room.message()));
  }
  w->set_alarm(alarm);
  w->set_max_batch_bytes(cfg_.max_batch_bytes());
  const uint32_t version = std::min(std::max<uint32_t>(hello.protocol_version(), 1), versions_.newest);
  w->set_protocol_version(version);
  if (!io.Send(welcome)) return cut("sending welcome");
  ChildTrust trust;
  trust.child_id = id;
  trust.writers = subtree;
  trust.writers.insert(id);
  trust.area.assign(child.working_area().begin(), child.working_area().end());
  trust.now_ms = hlc_->TrustedNowMs() > 0 ? hlc_->TrustedNowMs() : hlc_->physical()->NowMs();
  trust.max_skew_ms = int64_t{cfg_.max_clock_skew_s()} * 1000;
  const IdleHalves idle = IdleHalvesOf(version, hello, *w);
  if (w->up_refused().empty() && !idle.up) {
    ILP_RETURN_IF_ERROR(ReceiveBatches(&io, id, UpCursorKey(id), /*from_parent=*/false,
                                       {up_from, hello.head(), alarm.empty() ? up_cursor_before : 0},
                                       cfg_.max_batch_bytes(), &trust, cut));  // up
  }
  ChildScopeSpec scope{{child.working_area().begin(), child.working_area().end()}, subtree};
  scope.addressed.insert(id);
  uint64_t cursor = down_from;
  // A child that forgot acknowledged changes (restored from an older copy,
  // a second device, or merely a lost ack) gets its own changes back too:
  // they may be gone from its store.
  const bool echo = !alarm.empty() || hello.up_acked() < up_cursor_before;
  if (!idle.down) {
    ILP_RETURN_IF_ERROR(SendBatches(&io, &cursor, id, &scope, echo, max_batch, UINT64_MAX,
                                    DownAckedKey(id), EncodingFor(version), cut));  // down
  }
  if (io.Recv()) return absl::InvalidArgumentError("protocol: unexpected message after the last ack");
  ILP_RETURN_IF_ERROR(FinishPeer(id, "child", cursor, io.stats, &subtree));
  if (!w->up_refused().empty()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("took nothing up from child ", id, ": ", w->up_refused()));
  }
  return absl::OkStatus();
}

}  // namespace ilp
