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
#ifndef ILP_SERVICES_REPLICATION_SYNC_ENGINE_H_
#define ILP_SERVICES_REPLICATION_SYNC_ENGINE_H_

#include <functional>
#include <map>
#include <mutex>
#include <vector>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "ilp/v1/config.pb.h"
#include "ilp/v1/sync.pb.h"
#include "services/replication/stream.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"

namespace ilp {

struct SessionStats {
  uint64_t sent_changes = 0, received_changes = 0;
  uint64_t sent_bytes = 0, received_bytes = 0;  // serialized session messages
  uint64_t sent_batches = 0, received_batches = 0;
};

class SyncEngine {
 public:
  // All pointers must outlive the engine. `cfg` is the node's validated config.
  SyncEngine(const v1::NodeConfig& cfg, Store* store, HybridClock* hlc);

  // Runs one session as the child over `stream` (opened to the parent).
  absl::StatusOr<SessionStats> RunChildSession(ClientSyncStream* stream);

  // Serves one session as the parent. PERMISSION_DENIED for an unknown child.
  absl::Status ServeChildSession(SyncStream* stream);

  // What this node knows of a peer; NOT_FOUND if it never synced with it.
  absl::StatusOr<v1::PeerState> Peer(const std::string& node_id) const;

  // Records a failed attempt to reach the parent (for status).
  void RecordParentError(const absl::Status& error);

  // This node's status as it reports it to its parent (age 0).
  v1::NodeReport SelfReport() const;
  // The status reports received from the subtree, by node id.
  std::map<std::string, v1::StoredReport> Reports() const;

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
  absl::Status SendBatches(SessionIo* io, uint64_t* cursor, const std::string& peer,
                           const ChildScopeSpec* scope, const CutFn& cut);
  // Receives and applies the peer's batches until its last one, acking each.
  absl::Status ReceiveBatches(SessionIo* io, const std::string& peer,
                              const std::string& cursor_key, bool from_parent, const CutFn& cut);

  struct Outgoing {
    v1::SyncMessage msg;
    uint64_t changes = 0;
  };
  // Builds the next batch of our changes after `cursor`, skipping changes that
  // came from `peer` and, if `scope` is set, changes outside it.
  absl::StatusOr<Outgoing> NextBatch(uint64_t cursor, const std::string& peer,
                                     class ChildScope* scope);
  // Applies a received batch and stores `cursor_key` = batch.cursor with it.
  absl::StatusOr<uint64_t> ApplyBatch(const v1::Batch& batch, const std::string& peer,
                                      const std::string& cursor_key, bool from_parent);
  uint64_t MetaU64(const std::string& key) const;
  std::set<std::string> Subtree() const;
  void SavePeer(const v1::PeerState& p);
  void RecordPeerError(const std::string& peer, const std::string& role, const absl::Status& error);
  // Reports to relay in the next Hello (received since the last Hello that
  // reached the parent), with their ages brought up to now; sets *max_rx_seq.
  std::vector<v1::NodeReport> ReportsToRelay(uint64_t* max_rx_seq) const;
  // Stores the reports of a child's Hello.
  absl::Status StoreReports(const v1::Hello& hello);
  absl::Status ServeKnownChild(SyncStream* stream, SessionIo* io, const v1::Hello& hello,
                               const v1::ChildConfig& child);
  void FinishPeer(const std::string& peer, const std::string& role, uint64_t sent_cursor,
                  const SessionStats& s, const std::set<std::string>* skip_via);

  const v1::NodeConfig cfg_;
  Store* const store_;
  HybridClock* const hlc_;
  mutable std::mutex mu_;  // guards peer-state and report-counter read-modify-write
};

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_SYNC_ENGINE_H_
