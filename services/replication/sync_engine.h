// One node's side of replication: runs a sync session as the child (with its
// parent) or as the parent (with one of its children), over any SyncStream.
//
// A session has two phases, in turns so that neither side blocks writing:
//   child: Hello ->            <- Welcome (parent's clock, child's up cursor)
//   up:    Batch -> <- Ack ... until the child's last batch
//   down:  <- Batch  Ack -> ... until the parent's last batch
// The receiver of a batch stores the new cursor in the same WriteBatch as the
// changes, so a session cut anywhere resumes with at most one batch resent,
// and a resent batch merges to no change.
//
// Cursors cannot be poisoned or lost (docs/replication.md, "Cursors"): a
// batch's cursor must move forward within the head its sender announced, and
// each side resends from the lower of the receiver's cursor and what the
// sender recorded as acknowledged, so a store restored from an older copy, or
// a second device under the same node id, is resent to rather than skipped.
// That case raises an alarm on both peers.
#ifndef ILP_SERVICES_REPLICATION_SYNC_ENGINE_H_
#define ILP_SERVICES_REPLICATION_SYNC_ENGINE_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ilp/v1/admin.pb.h"
#include "ilp/v1/bundle.pb.h"
#include "ilp/v1/config.pb.h"
#include "ilp/v1/sync.pb.h"
#include "services/replication/admission.h"
#include "services/replication/batch_codec.h"
#include "services/replication/stream.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"

namespace ilp {

struct SessionStats {
  uint64_t sent_changes = 0, received_changes = 0;
  uint64_t sent_bytes = 0, received_bytes = 0;  // serialized session messages
  uint64_t sent_batches = 0, received_batches = 0;
};

// Who opened a session, as the transport proved it.
struct SessionPeer {
  // The node id from the peer's certificate; empty on an insecure transport.
  std::string node_id;
  // False only on an explicitly insecure (loopback) transport: the Hello's
  // node id is then taken on trust.
  bool authenticated = false;
};

// Sync protocol versions this build speaks. A session runs at the lower of
// the two sides' newest; a side refuses a session below its oldest
// (docs/replication.md, "Versions"). Version 1 is the protocol of this file.
struct ProtocolVersions {
  uint32_t oldest = 1;
  // 2: batches may be columnar (BatchEncoding). 3: a half of the session
  // with nothing to send is skipped (IdleHalves in sync_engine.cc), so an
  // idle session is a Hello and a Welcome.
  uint32_t newest = 3;
};

class SyncEngine {
 public:
  // All pointers must outlive the engine. `cfg` is the node's validated config.
  SyncEngine(const v1::NodeConfig& cfg, Store* store, HybridClock* hlc);

  // Runs one session as the child over `stream` (opened to the parent).
  ABSL_MUST_USE_RESULT absl::StatusOr<SessionStats> RunChildSession(ClientSyncStream* stream);

  // Serves one session as the parent. UNAUTHENTICATED if the Hello names
  // another node than `peer` proved to be; PERMISSION_DENIED for a node that
  // is not a configured child; ABORTED while that child has a session open;
  // INVALID_ARGUMENT for a protocol violation (nothing of the bad batch is
  // stored).
  ABSL_MUST_USE_RESULT absl::Status ServeChildSession(SyncStream* stream, const SessionPeer& peer);

  // The versions this engine speaks; tests set others to act as an older or
  // newer build. Call before the first session.
  void set_protocol_versions(ProtocolVersions v) { versions_ = v; }

  // The configured parent's id; empty at the root.
  const std::string& parent_id() const { return cfg_.parent_id(); }

  // This store's incarnation id (meta "incarnation", made by Node::Start);
  // "" if absent, the read error if it cannot be read.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::string> Incarnation() const;

  // What this node knows of a peer; NOT_FOUND if it never synced with it.
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::PeerState> Peer(const std::string& node_id) const;

  // Records a failed attempt to reach the parent (for status).
  void RecordParentError(const absl::Status& error);

  // Bundles: a session's direction carried as a file (docs/bundles.md;
  // bundle_sync.cc). The file layer is services/bundle.
  struct BundleBatches {
    std::string incarnation;  // this store's
    uint64_t from = 0, to = 0;  // (from, to] of this node's change log
    std::vector<v1::Batch> batches;
    bool down = false;        // to a node in this node's subtree
    bool more = false;        // the log goes on after `to` (max_bytes cut it)
  };
  // The batches a session would carry to `to`: down, within its scope, if
  // `to` is in this node's subtree (from what it acknowledged online or by
  // receipt); otherwise up (changes written here or from the subtree) from
  // what the parent or any ancestor's receipt acknowledged.
  // `after`, when above that acknowledgement, starts later (the next volume
  // of a split export); the batches stop once their bytes reach `max_bytes`
  // (at least one batch goes in).
  ABSL_MUST_USE_RESULT absl::StatusOr<BundleBatches> BundleFor(const std::string& to, uint64_t after = 0,
                                                               uint64_t max_bytes = UINT64_MAX);
  // Records a written bundle, so that its receipt can be matched.
  ABSL_MUST_USE_RESULT absl::Status RecordBundleOut(const v1::BundleHeader& header);
  struct BundleApplied {
    uint32_t batches_applied = 0, batches_already_had = 0;
    uint64_t changes = 0, quarantined = 0;
    uint64_t applied_to = 0;  // the sender's seq now held from this bundle
  };
  // Applies a verified bundle's batches (in order) from `header.sender`,
  // through the same admission and quarantine as a session with a child
  // when the sender is in this node's subtree. Each batch lands in one
  // WriteBatch with the dedup cursor of (sender, incarnation), so a batch
  // already applied is skipped. PERMISSION_DENIED for a sender that is
  // neither in the subtree nor an ancestor this node knows.
  ABSL_MUST_USE_RESULT absl::StatusOr<BundleApplied> ImportBundle(const v1::BundleHeader& header,
                                                                  const std::vector<v1::Batch>& batches);
  // Takes a verified receipt of a bundle this node wrote: moves the cursor
  // it acknowledges. FAILED_PRECONDITION for a receipt that matches no
  // bundle written here, by another importer, or of another incarnation.
  ABSL_MUST_USE_RESULT absl::Status AcceptReceipt(const v1::BundleReceipt& receipt);
  // Bundles written here whose range the recipient has not acknowledged,
  // by their receipt or otherwise (a later receipt or online session), in
  // the order written. Reads one meta entry per bundle ever written.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<v1::BundleAwaitingReceipt>> BundlesAwaitingReceipt()
      const;

  // Builds the store's pending counters of the parent and every child from
  // their acknowledged cursors, at start, so that status never scans
  // (Store::Pending): one pass over each peer's backlog, or none where the
  // last clean stop stored them.
  ABSL_MUST_USE_RESULT absl::Status CountBacklogs();
  // This node's status as it reports it to its parent (age 0).
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::NodeReport> SelfReport() const;
  // The status reports received from the subtree, by node id (one that does
  // not parse is skipped and logged; a store read error is returned).
  ABSL_MUST_USE_RESULT absl::StatusOr<std::map<std::string, v1::StoredReport>> Reports() const;
  // Which nodes export which SATUSEHAT Organization, as known here: this
  // node's config, then the reports of nodes in its believed subtree (a
  // report naming a node outside it is not believed). Org id -> node ids,
  // this node first, then by id.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::map<std::string, std::vector<std::string>>> SatusehatExporters()
      const;

 private:
  struct SessionIo;
  // What the parent may send a child: its area codes and addressable nodes.
  struct ChildScopeSpec {
    std::vector<std::string> area;
    std::set<std::string> addressed;
  };
  // Turns a broken stream into the session's error, naming where it broke.
  using CutFn = std::function<absl::Status(const char* where)>;

  // Sends our batches from *cursor until the last one is acknowledged.
  ABSL_MUST_USE_RESULT absl::Status SendBatches(SessionIo* io, uint64_t* cursor, const std::string& peer,
                           const ChildScopeSpec* scope, bool echo, size_t max_batch,
                           uint64_t until, const std::string& acked_key, v1::BatchEncoding encoding,
                           const CutFn& cut);
  // Where a receiver accepts batch cursors: after `from`, up to `head`. A
  // lost ack makes the sender resend from below the receiver's cursor; the
  // stored cursor still never drops below `keep` (what the receiver already
  // applied), except when the session resets cursors (an alarm: keep 0).
  struct CursorWindow {
    uint64_t from = 0, head = 0, keep = 0;
  };
  // Receives and applies the peer's batches until its last one, acking each.
  ABSL_MUST_USE_RESULT absl::Status ReceiveBatches(SessionIo* io, const std::string& peer,
                              const std::string& cursor_key, bool from_parent,
                              CursorWindow window, size_t max_batch,
                              const ChildTrust* trust, const CutFn& cut);

  struct Outgoing {
    v1::SyncMessage msg;
    uint64_t changes = 0;
  };
  // Builds the next batch of our changes after `cursor`, skipping changes that
  // came from `peer` (unless `echo`) and, if `scope` is set, changes outside
  // it, and changes after `until`. Fails, without moving past it, on a change
  // it cannot read.
  // With `only_via`, only changes received from one of those nodes ("" =
  // written here) are sent.
  ABSL_MUST_USE_RESULT absl::StatusOr<Outgoing> NextBatch(uint64_t cursor, const std::string& peer,
                                     class ChildScope* scope, bool echo, size_t max_batch,
                                     uint64_t until, v1::BatchEncoding encoding,
                                     const std::set<std::string>* only_via = nullptr);
  // Applies a received batch and stores `cursor_key` = max(keep, batch.cursor) with it.
  // With `trust` (a batch from a child), deltas the child may not send are
  // quarantined in the same write instead of applied.
  ABSL_MUST_USE_RESULT absl::StatusOr<uint64_t> ApplyBatch(const v1::Batch& batch, const std::string& peer,
                                      const std::string& cursor_key, bool from_parent,
                                      const ChildTrust* trust, uint64_t keep);
  // The apply itself: the batch's deltas (admitted if `trust`), with `meta`
  // in the same WriteBatch.
  ABSL_MUST_USE_RESULT absl::StatusOr<ApplyResult> ApplyDeltas(
      const v1::Batch& batch, const std::string& peer, const ChildTrust* trust,
      std::vector<std::pair<std::string, std::string>> meta);
  // The configured child on the path to `node` (itself, or one whose
  // believed subtree holds it); nullptr if none.
  ABSL_MUST_USE_RESULT absl::StatusOr<const v1::ChildConfig*> ChildToward(const std::string& node) const;
  // What a bundle from `sender` (in the subtree, below `child`) may carry.
  ABSL_MUST_USE_RESULT absl::StatusOr<ChildTrust> TrustFor(const std::string& sender,
                                                          const v1::ChildConfig& child) const;
  // Adds `delta` to req->deltas if AdmitFromChild accepts it against
  // `stored` (its state before the batch; null if none), else to
  // req->quarantine with the reason.
  void Admit(v1::Record delta, const v1::Record* stored, const ChildTrust& trust, ApplyRequest* req) const;
  // The part of the Hello's claimed subtree this node can believe.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::set<std::string>> BelieveSubtree(const v1::Hello& hello,
                                                       const std::string& id) const;
  // Reads of meta where only NOT_FOUND means absent (0, "", an empty peer
  // state); any other store error is returned and fails the session.
  ABSL_MUST_USE_RESULT absl::StatusOr<uint64_t> MetaU64(const std::string& key) const;
  ABSL_MUST_USE_RESULT absl::StatusOr<std::string> MetaOrEmpty(const std::string& key) const;
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::PeerState> KnownPeer(const std::string& node_id) const;
  ABSL_MUST_USE_RESULT absl::StatusOr<std::set<std::string>> Subtree() const;
  ABSL_MUST_USE_RESULT absl::Status SavePeer(const v1::PeerState& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records an alarm on `peer` (restored or duplicated store) and logs it.
  void RaiseAlarm(const std::string& peer, const std::string& role, const std::string& what);
  void RecordPeerError(const std::string& peer, const std::string& role, const absl::Status& error);
  // Reports to relay in the next Hello (received since the last Hello that
  // reached the parent), with their ages brought up to now; sets *max_rx_seq.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<v1::NodeReport>> ReportsToRelay(uint64_t* max_rx_seq) const;
  // Stores the reports of a child's Hello.
  ABSL_MUST_USE_RESULT absl::Status StoreReports(const v1::Hello& hello);
  ABSL_MUST_USE_RESULT absl::Status ServeKnownChild(SyncStream* stream, SessionIo* io, const v1::Hello& hello,
                               const v1::ChildConfig& child);
  // Decides where the up and down phases start for `hello` and whether the
  // child's store was restored or duplicated (then *alarm says how).
  ABSL_MUST_USE_RESULT absl::Status PlanChildSession(const v1::Hello& hello, const std::string& id,
                                                     uint64_t* up_from, uint64_t* down_from,
                                                     std::string* alarm) const;
  // Records a completed session in the peer state. A failed read is
  // returned; a failed status write is only logged (cursors are durable).
  ABSL_MUST_USE_RESULT absl::Status FinishPeer(const std::string& peer, const std::string& role, uint64_t sent_cursor,
                  const SessionStats& s, const std::set<std::string>* skip_via);

  const v1::NodeConfig cfg_;
  Store* const store_;
  HybridClock* const hlc_;
  // Serializes the read-modify-write of peer states and the report counter
  // (kept in the store); taken before Store's lock (docs/reliability.md,
  // "Locks and sanitizers").
  mutable absl::Mutex mu_;
  std::set<std::string> active_ ABSL_GUARDED_BY(mu_);  // children with a session open
  DecompressionBudget budget_;
  ProtocolVersions versions_;
};

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_SYNC_ENGINE_H_
