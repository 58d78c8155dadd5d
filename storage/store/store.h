// The node store: records, change log, secondary indexes, lost writes and
// quarantined deltas in one RocksDB database, one column family each.
//
//   ILP_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(dir));
//   ApplyRequest req;
//   req.deltas.push_back(delta);
//   ILP_ASSIGN_OR_RETURN(ApplyResult res, store->Apply(std::move(req)));
//
// Every Apply is one atomic WriteBatch: merged records, their index entries,
// one change-log entry per record that changed, lost writes, quarantined
// deltas, the HLC high water and any meta keys (replication cursors) land
// together or not at all.
// With `sync` the WAL is fsynced before Apply returns; concurrent Applies
// share one fsync (group commit, commit_queue.h). A delta that changes
// nothing (a duplicate) writes nothing, so applying a batch twice is a no-op.
#ifndef ILP_STORAGE_STORE_STORE_H_
#define ILP_STORAGE_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/util/steady_wait.h"
#include "absl/time/time.h"
#include "ilp/v1/state.pb.h"
#include "storage/store/commit_queue.h"
#include "storage/store/disk_guard.h"
#include "storage/util/histogram.h"

namespace rocksdb {
class DB;
class Env;
class ColumnFamilyHandle;
class WriteBatch;
struct WriteOptions;
}  // namespace rocksdb

namespace ilp {

class Clock;

struct ApplyRequest {
  std::vector<v1::Record> deltas;                          // merged in order
  std::string via;                                         // peer node; "" = local write
  std::optional<v1::Stamp> hlc_high_water;                 // persisted with the batch
  std::vector<std::pair<std::string, std::string>> meta;   // extra meta puts, same batch
  std::vector<std::string> meta_deletes;                   // meta keys removed, same batch (before the puts)
  // Deltas refused from a child (never merged), kept in the same batch. The
  // store sets seq and, if 0, detected_ms; a delta already kept from the same
  // from_node (same bytes) is not added again.
  std::vector<v1::QuarantinedDelta> quarantine;
  bool sync = true;                                        // fsync the WAL before returning
  // With `sync`: return once written and registered for the shared fsync,
  // without waiting for it; the caller must call Store::AwaitDurable before
  // it acknowledges (lets a caller release its own lock first: RecordsCore).
  bool defer_durable = false;
};

struct ApplyResult {
  std::vector<v1::Record> states;  // merged state of each delta's record, in order
  uint64_t last_seq = 0;           // change-log head after the batch
  int changed = 0;                 // deltas that changed their record
  std::vector<v1::LostWrite> lost; // lost writes detected
  int quarantined = 0;             // quarantine entries added (resent ones excluded)
};

// Bytes RocksDB holds in memory, read from its properties (so an operator
// can see which part of the budget a node's memory is in).
struct StoreMemoryStats {
  uint64_t budget = 0;              // StoreOptions::memory_mib, in bytes
  uint64_t memtables = 0;           // all families' memtables, flushed-waiting ones too
  uint64_t block_cache = 0;         // the cache's usage; it is charged with the memtables
  uint64_t block_cache_pinned = 0;  // of which pinned (in use, or held index and filters)
  uint64_t table_readers = 0;       // table readers outside the cache (estimate)
};

struct StoreStats {
  uint64_t last_seq = 0;
  uint64_t approximate_bytes = 0;
  std::vector<std::pair<std::string, uint64_t>> records_by_kind;
  StoreMemoryStats memory;
};

// Changes in the log after a cursor that are still to be sent to a peer.
struct Backlog {
  uint64_t changes = 0;
  uint64_t bytes = 0;        // serialized deltas
  int64_t oldest_ms = 0;     // local apply time of the first; 0 if none
};

struct StoreOptions {
  // Budget for RocksDB: a block cache of three quarters of it, charged with the
  // write buffers (at most half), data blocks and index and filter blocks;
  // MiB. Small devices (a posyandu tablet) get little; a district more.
  uint32_t memory_mib = 64;
  // Free space kept on the data dir's filesystem (see disk_guard.h); 0 = no
  // check. Writes are refused with RESOURCE_EXHAUSTED below it.
  uint64_t min_free_bytes = 0;
  // Free-space probe; statvfs if unset (tests inject a fake).
  FreeSpaceProbe free_space;
  // How long a probed figure is trusted (a low one is always probed again).
  absl::Duration free_space_cache = absl::Milliseconds(200);
  // The file system RocksDB runs on; nullptr = the machine's. The district
  // simulation passes an in-memory one that can lose unsynced data. Must
  // outlive the store.
  rocksdb::Env* env = nullptr;
};

// The layout of the store on disk (column families, keys, encodings). A
// store records its format; ilp-node refuses a newer one with a clear error.
// Format 2 adds the audit index (keys.h, 'a'); a format-1 store gains it on
// open (Store::Open, MigrateToFormat2).
inline constexpr uint32_t kStoreFormat = 2;

class Store {
 public:
  // Opens (creating if missing) the store in `dir`. `clock` stamps change-log
  // entries with their local apply time; it must outlive the store. A damaged
  // write-ahead log (a checksum mismatch, a log but the newest cut short) or
  // table file is DATA_LOSS naming the file. The one damage a crash leaves,
  // the newest log ending inside the record being written when it came, is
  // dropped (that write was never acknowledged) and said in recovery_note().
  ABSL_MUST_USE_RESULT static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir, Clock* clock,
                                                     StoreOptions options = {});
  ~Store();

  // What Open repaired, for the operator's log: "" when the store closed
  // cleanly or crashed between writes.
  const std::string& recovery_note() const { return recovery_note_; }

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Merges the deltas into the stored records atomically. Thread-safe.
  // RESOURCE_EXHAUSTED (nothing written) when free disk space is below the
  // reserve: below all of it for deltas or quarantine, below half of it for
  // meta-only requests (cursors, reports).
  ABSL_MUST_USE_RESULT absl::StatusOr<ApplyResult> Apply(ApplyRequest req) ABSL_LOCKS_EXCLUDED(mu_);

  // Returns once every write applied before the call (and so everything a
  // read before it may have seen) is durable: the caller's deferred Apply
  // shares the fsync with every writer queued meanwhile. The fsync's error
  // if it failed.
  ABSL_MUST_USE_RESULT absl::Status AwaitDurable() ABSL_LOCKS_EXCLUDED(mu_);

  // The stored state of `id`, or NOT_FOUND. May show a write whose Apply is
  // still waiting for its fsync (not yet acknowledged, docs/storage.md).
  ABSL_MUST_USE_RESULT absl::StatusOr<v1::Record> Get(absl::string_view id) const;

  // The stored states of `ids` in one MultiGet, by position: nullopt where
  // an id is not stored (as Get's NOT_FOUND). What a receiver checks a
  // child's batch against, without a Get per delta.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<std::optional<v1::Record>>> GetMany(
      const std::vector<absl::string_view>& ids) const;

  // Ids of index entries starting with `prefix` (see keys.h), at most `limit`.
  // An iterator error is returned (never a short result).
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<std::string>> ScanIndex(absl::string_view prefix, size_t limit) const;

  // Change-log entries with seq > after_seq, up to max_count entries or about
  // max_bytes of serialized changes (at least one entry if any exists); only
  // durable ones (up to LastSeq()).
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<v1::Change>> ReadChanges(uint64_t after_seq, size_t max_count,
                                                      size_t max_bytes) const;

  // Head of the change log as far as it is durable (0 when empty): an Apply
  // waiting for its fsync is not counted yet (commit_queue.h).
  uint64_t LastSeq() const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until LastSeq() > after_seq or `timeout` passes. Returns true if a
  // newer change exists.
  bool WaitForChange(uint64_t after_seq, absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  // Lost writes, optionally only those detected at or after `since_ms`.
  // DATA_LOSS (naming the key) if one does not parse; iterator errors returned.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<v1::LostWrite>> LostWrites(int64_t since_ms) const;

  // Meta values in the default column family; NOT_FOUND if absent.
  ABSL_MUST_USE_RESULT absl::StatusOr<std::string> GetMeta(absl::string_view key) const;
  // RESOURCE_EXHAUSTED below half the disk reserve (see Apply).
  ABSL_MUST_USE_RESULT absl::Status PutMeta(absl::string_view key, absl::string_view value)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Meta keys starting with `prefix` and their values, in key order: those
  // after key `after` (all when empty), at most `limit`. An iterator error is
  // returned (never a short result).
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanMeta(
      absl::string_view prefix, absl::string_view after = {}, size_t limit = SIZE_MAX) const;

  // Recomputes the indexes from the records and replays the change log, and
  // reports every disagreement as DATA_LOSS (the first few in the message).
  ABSL_MUST_USE_RESULT absl::Status Verify() const;

  // A consistent copy of the whole store in `dir` (which must not exist), as
  // of now, made by RocksDB's Checkpoint: hard links where `dir` is on the
  // same filesystem, copies elsewhere. Writes go on meanwhile.
  ABSL_MUST_USE_RESULT absl::Status Checkpoint(const std::string& dir) const;

  // Reads every block of every table file and checks its checksum: DATA_LOSS
  // naming the file on a mismatch. (WAL checksums are checked at Open.)
  ABSL_MUST_USE_RESULT absl::Status VerifyChecksums() const;

  // Free-space state of the data dir (free bytes, reserve, refusals).
  DiskGuard& disk() const { return *disk_; }
  // Head, approximate size, record counts by kind (kept with every Apply, no
  // scan) and RocksDB's memory.
  StoreStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);

  // The changes after `after_seq` not received from `skip_via` (one pass over
  // that part of the log, without holding it in memory). The reference for
  // Pending, which status uses.
  ABSL_MUST_USE_RESULT absl::StatusOr<Backlog> BacklogAfter(uint64_t after_seq, absl::string_view skip_via) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // What BacklogAfter(cursor, peer) gives, from counters kept per peer
  // (storage/store/pending.cc): O(1) while `cursor` is the one last asked for
  // `peer`. Moving it costs one pass over the part of the log moved over (a
  // session's acknowledged range); the first call for a peer, one pass after
  // `cursor`, unless the last clean close stored its counters (taken at
  // Open). Apply keeps the counters of every peer asked so far. Thread-safe.
  ABSL_MUST_USE_RESULT absl::StatusOr<Backlog> Pending(const std::string& peer, uint64_t cursor)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Lost writes recorded, all time.
  uint64_t LostWriteCount() const ABSL_LOCKS_EXCLUDED(mu_);

  // The `limit` most recent quarantined deltas, newest first (highest seq).
  ABSL_MUST_USE_RESULT absl::StatusOr<std::vector<v1::QuarantinedDelta>> ListQuarantine(size_t limit) const;

  // Quarantined deltas kept, all time (kept with every Apply, no scan).
  uint64_t QuarantineCount() const ABSL_LOCKS_EXCLUDED(mu_);

  // Latency of Apply calls that wrote something (merge, index, fsync).
  const LatencyHistogram& apply_latency() const { return apply_latency_; }

  // Calls `fn` for every stored record, in id order. Stops at the first
  // record that does not parse (DATA_LOSS naming its id) or iterator error.
  // Calls `fn` on every audit event (records with an audit body, kept in the
  // audit column family) in id order; stops when fn returns false. A scan of
  // the whole trail: ids carry the serving device's own clock, which may be
  // years off, so they give no usable time order across nodes.
  ABSL_MUST_USE_RESULT absl::Status ForEachAudit(const std::function<bool(const v1::Record&)>& fn) const;
  // Calls `fn` on the audit events naming `patient_id` whose HLC wall time is
  // at or after `since_ms`, in wall-time order, through the audit index (no
  // scan of the trail); stops when fn returns false.
  ABSL_MUST_USE_RESULT absl::Status ForEachAuditOf(absl::string_view patient_id, int64_t since_ms,
                                                   const std::function<bool(const v1::Record&)>& fn) const;
  // True if a revocation record names token id `jti`.
  ABSL_MUST_USE_RESULT absl::StatusOr<bool> IsRevoked(absl::string_view jti) const;
  ABSL_MUST_USE_RESULT absl::Status ForEachRecord(const std::function<void(const v1::Record&)>& fn) const;

  // Test hook: deletes one raw index entry, to prove Verify finds damage.
  ABSL_MUST_USE_RESULT absl::Status TEST_DeleteIndexEntry(absl::string_view key);
  // Test hook: puts raw bytes as the stored value of record `id` (no index,
  // log or counts), to prove reads report damage.
  ABSL_MUST_USE_RESULT absl::Status TEST_PutRawRecord(absl::string_view id, absl::string_view bytes);
  // Test hook: flushes every memtable to table files.
  ABSL_MUST_USE_RESULT absl::Status TEST_Flush();
  // Test hook: the group commit (hold a leader before its sync, count syncs).
  CommitQueue& TEST_commits() { return *commits_; }

 private:
  Store() = default;
  // Pending's counters for one peer: the backlog after `cursor`.
  struct PeerBacklog {
    uint64_t cursor = 0;
    Backlog backlog;
  };
  // Adds the changes in (from, to] not received from `peer` to `*b`; with
  // `first_seq`, instead finds the first of them (its seq and applied_ms;
  // unchanged if none).
  ABSL_MUST_USE_RESULT absl::Status CountRange(uint64_t from, uint64_t to, absl::string_view peer, Backlog* b,
                                               uint64_t* first_seq = nullptr, int64_t* first_ms = nullptr) const;
  // At a clean close, stores the pending counters with the head they hold
  // for; at open, takes them back if the head is still the same.
  void SavePending() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LoadPending() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts the entries not already kept into `batch`, numbering them after
  // quarantine_count_ and counting them in res->quarantined.
  ABSL_MUST_USE_RESULT absl::Status AddQuarantine(std::vector<v1::QuarantinedDelta>& entries, int64_t now_ms,
                             rocksdb::WriteBatch* batch, ApplyResult* res)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks the disk reserve for a write of `cls` and, if an earlier write
  // failed in RocksDB and space is back, resumes the database.
  ABSL_MUST_USE_RESULT absl::Status ReadyToWrite(WriteClass cls) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `batch`, remembering a failure for ReadyToWrite.
  ABSL_MUST_USE_RESULT absl::Status WriteLocked(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits for the commit queue to make `ticket` durable; on a failed fsync
  // remembers it for ReadyToWrite.
  ABSL_MUST_USE_RESULT absl::Status WaitDurable(uint64_t ticket) ABSL_LOCKS_EXCLUDED(mu_);

  Clock* clock_ = nullptr;
  uint64_t memory_budget_ = 0;  // bytes
  // Records the format of a new store; refuses a newer one.
  ABSL_MUST_USE_RESULT absl::Status CheckFormat(const std::string& dir) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Format 1 -> 2: indexes the audit events already held, then records
  // format 2 (idempotent; a crash midway redoes it on the next open).
  ABSL_MUST_USE_RESULT absl::Status MigrateToFormat2(const std::string& dir) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ABSL_MUST_USE_RESULT absl::Status PutMetaLocked(absl::string_view key, absl::string_view value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* lost_ = nullptr;
  rocksdb::ColumnFamilyHandle* quarantine_ = nullptr;
  rocksdb::ColumnFamilyHandle* audit_ = nullptr;

  // Serializes Apply; taken after the callers' locks (docs/reliability.md,
  // "Locks and sanitizers").
  mutable absl::Mutex mu_;
  std::string recovery_note_;  // set once by Open
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;  // written head; readers see commits_->PublishedSeq()
  v1::KindCounts counts_ ABSL_GUARDED_BY(mu_);  // persisted as meta "counts"
  uint64_t lost_count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t quarantine_count_ ABSL_GUARDED_BY(mu_) = 0;  // also the last quarantine seq
  bool needs_resume_ ABSL_GUARDED_BY(mu_) = false;  // a write failed inside RocksDB
  // Every peer Pending was asked about: kept by Apply, moved by Pending.
  std::map<std::string, PeerBacklog, std::less<>> pending_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<DiskGuard> disk_;
  std::unique_ptr<CommitQueue> commits_;  // fsyncs Applies' writes outside mu_
  LatencyHistogram apply_latency_;
};

}  // namespace ilp

#endif  // ILP_STORAGE_STORE_STORE_H_
