#include "storage/store/store.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "storage/clock/clock.h"
#include "storage/merge/merge.h"
#include "storage/store/batch_reads.h"
#include "storage/store/durable.h"
#include "storage/store/keys.h"
#include "storage/store/rocks_options.h"
#include "storage/store/rocks_status.h"
#include "storage/store/wal_damage.h"
#include "storage/util/status_macros.h"

namespace ilp {

using store_internal::FromRocks;
using store_internal::View;
using store_internal::DamagedFiles;
using store_internal::IsTornTail;
using store_internal::WalDrop;
using store_internal::WalDrops;

namespace {

constexpr char kHlcKey[] = "hlc";
constexpr char kCountsKey[] = "counts";
constexpr char kFormatKey[] = "format";

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir, Clock* clock,
                                                   StoreOptions options) {
  RocksOptions rocks = StoreRocksOptions(options);
  const rocksdb::Options& opts = rocks.db;
  const std::vector<rocksdb::ColumnFamilyDescriptor>& cfs = rocks.cfs;
  // A newer ilp-node may add column families; opening would fail with a
  // RocksDB message, so name the cause first.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(opts, dir, &existing).ok()) {
    for (const std::string& name : existing) {
      const bool known = std::any_of(cfs.begin(), cfs.end(), [&](const auto& d) { return d.name == name; });
      if (!known) {
        return absl::FailedPreconditionError(absl::StrCat(
            "store ", dir, " has column family \"", name, "\", unknown to this ilp-node (store format ",
            kStoreFormat, "): it was written by a newer ilp-node; upgrade this one (docs/operations.md, Upgrades)"));
      }
    }
  }
  std::unique_ptr<Store> s(new Store());
  s->clock_ = clock;
  s->memory_budget_ = rocks.budget_bytes;
  s->disk_ = std::make_unique<DiskGuard>(
      dir, options.min_free_bytes,
      options.free_space ? options.free_space : NewStatvfsProbe(), options.free_space_cache);
  absl::MutexLock init(&s->mu_);  // no other thread sees `s` yet; held for the analysis
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(opts, dir, cfs, &s->handles_, &raw);
  if (opened.IsCorruption()) {
    const std::vector<WalDrop> drops = WalDrops(dir);
    if (IsTornTail(drops, dir)) {
      // Replay up to the torn record and drop it, once; every later open is
      // strict again (the replayed log is flushed to tables and deleted).
      rocksdb::Options tolerant = opts;
      tolerant.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
      s->handles_.clear();
      opened = rocksdb::DB::Open(tolerant, dir, cfs, &s->handles_, &raw);
      if (opened.ok()) {
        s->recovery_note_ = absl::StrCat(
            "the write-ahead log ", drops[0].file, " ended inside a record (", drops[0].reason, ", ",
            drops[0].bytes, " bytes), as a crash during a write leaves it; that unacknowledged write was dropped");
      }
    }
  }
  if (opened.IsCorruption()) {
    const std::string files = DamagedFiles(WalDrops(dir));
    return absl::DataLossError(absl::StrCat(
        "opening store ", dir, ": ", opened.ToString(),
        files.empty() ? "" : absl::StrCat(" in ", files),
        "; the store is damaged and was not opened (docs/operations.md, \"Damaged files\")"));
  }
  ILP_RETURN_IF_ERROR(FromRocks(opened, absl::StrCat("opening store ", dir)));
  s->db_.reset(raw);
  s->meta_ = s->handles_[0];
  s->records_ = s->handles_[1];
  s->log_ = s->handles_[2];
  s->index_ = s->handles_[3];
  s->lost_ = s->handles_[4];
  s->quarantine_ = s->handles_[5];
  s->audit_ = s->handles_[6];
  ILP_RETURN_IF_ERROR(s->CheckFormat(dir));
  std::unique_ptr<rocksdb::Iterator> it(s->db_->NewIterator(rocksdb::ReadOptions(), s->log_));
  it->SeekToLast();
  if (it->Valid()) s->last_seq_ = SeqFromKey(View(it->key()));
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), "reading change-log head"));
  // Record counts are kept with every Apply; a store written before they
  // existed gets them by one scan, once.
  absl::StatusOr<std::string> counts = s->GetMeta(kCountsKey);
  if (counts.ok()) {
    if (!s->counts_.ParseFromString(*counts)) return absl::DataLossError("meta counts does not parse");
  } else if (absl::IsNotFound(counts.status())) {
    ILP_RETURN_IF_ERROR(s->ForEachRecord(
        [&](const v1::Record& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
          ++(*s->counts_.mutable_counts())[KindName(r)];
        }));
    ILP_RETURN_IF_ERROR(s->PutMetaLocked(kCountsKey, s->counts_.SerializeAsString()));
  } else {
    return counts.status();
  }
  std::unique_ptr<rocksdb::Iterator> lit(s->db_->NewIterator(rocksdb::ReadOptions(), s->lost_));
  for (lit->SeekToFirst(); lit->Valid(); lit->Next()) ++s->lost_count_;
  ILP_RETURN_IF_ERROR(FromRocks(lit->status(), "counting lost writes"));
  // Entries are never deleted, so their number is also the last seq given.
  std::unique_ptr<rocksdb::Iterator> qit(s->db_->NewIterator(rocksdb::ReadOptions(), s->quarantine_));
  for (qit->SeekToFirst(); qit->Valid(); qit->Next()) ++s->quarantine_count_;
  ILP_RETURN_IF_ERROR(FromRocks(qit->status(), "counting quarantined deltas"));
  s->LoadPending();
  rocksdb::DB* const db = s->db_.get();
  s->commits_ = std::make_unique<CommitQueue>(
      [db]() {
        rocksdb::Status st = db->SyncWAL();
        if (st.IsNotSupported()) {
          // A file system whose files cannot be synced while written (the
          // simulation's in-memory one): an empty batch written with sync
          // syncs every WAL file in RocksDB's write path instead (db.h).
          rocksdb::WriteOptions wo;
          wo.sync = true;
          rocksdb::WriteBatch empty;
          st = db->Write(wo, &empty);
        }
        return FromRocks(st, "syncing the write-ahead log");
      },
      s->last_seq_);
  return s;
}

absl::Status Store::CheckFormat(const std::string& dir) {
  absl::StatusOr<std::string> v = GetMeta(kFormatKey);
  if (absl::IsNotFound(v.status())) {
    // A new store, or one from before formats were recorded (its layout is
    // format 1): migrating an empty trail only records the format.
    return MigrateToFormat2(dir);
  }
  if (!v.ok()) return v.status();
  uint32_t format = 0;
  if (!absl::SimpleAtoi(*v, &format)) {
    return absl::DataLossError(absl::StrCat("store ", dir, ": meta format \"", *v, "\" is not a number"));
  }
  if (format > kStoreFormat) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", dir, " has format ", format, "; this ilp-node reads formats up to ", kStoreFormat,
        ": it was written by a newer ilp-node; upgrade this one (docs/operations.md, Upgrades)"));
  }
  if (format == 1) return MigrateToFormat2(dir);
  if (format < kStoreFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir, " has format ", format, ", which no ilp-node wrote"));
  }
  return absl::OkStatus();
}

absl::Status Store::MigrateToFormat2(const std::string& dir) {
  // Adds index entries only, no record changes, so no checkpoint is taken
  // first. Batches are bounded; format 2 is recorded with the last, so a crash
  // midway leaves format 1 and the (idempotent) puts are redone on next open.
  rocksdb::WriteBatch batch;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), audit_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::Record r;
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("store ", dir, ": audit event ", View(it->key()),
                                              " does not parse (format 1 -> 2 migration)"));
    }
    for (const std::string& k : IndexEntries(r)) batch.Put(index_, k, "");
    if (batch.GetDataSize() > (4u << 20)) {
      ILP_RETURN_IF_ERROR(WriteLocked(wo, &batch));
      batch.Clear();
    }
  }
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), "reading the audit trail (format 1 -> 2 migration)"));
  batch.Put(meta_, kFormatKey, "2");
  ILP_RETURN_IF_ERROR(WriteLocked(wo, &batch));
  return absl::OkStatus();
}

Store::~Store() {
  if (db_) {
    {
      absl::MutexLock l(&mu_);
      SavePending();
    }
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

absl::StatusOr<ApplyResult> Store::Apply(ApplyRequest req) {
  const absl::Time start = absl::Now();
  absl::ReleasableMutexLock lock(&mu_);
  ApplyResult res;
  v1::KindCounts counts = counts_;
  rocksdb::WriteBatch batch;
  // Records changed earlier in this batch: id -> their state in res.states.
  absl::flat_hash_map<std::string, size_t> pending;
  pending.reserve(req.deltas.size());
  uint64_t seq = last_seq_;
  const int64_t now_ms = clock_->NowMs();
  // A loss is keyed by its losing write, so it is recorded once however
  // often the losing delta arrives.
  std::set<std::string> lost_keys;
  // The changes logged, for the pending counters (pending.cc).
  uint64_t logged_bytes = 0;
  int64_t first_logged_ms = 0;
  auto log_change = [&](v1::Record& delta) {
    ++seq;
    v1::Change c;
    c.set_seq(seq);
    c.set_via(req.via);
    c.set_applied_ms(now_ms);
    // The delta is lent to the entry (a swap, not a copy) while it is serialized.
    c.mutable_delta()->Swap(&delta);
    batch.Put(log_, SeqKey(seq), c.SerializeAsString());
    logged_bytes += static_cast<uint64_t>(c.delta().GetCachedSize());  // sized by the serialization
    c.mutable_delta()->Swap(&delta);
    if (first_logged_ms == 0) first_logged_ms = c.applied_ms();
  };
  auto record_loss = [&](v1::LostWrite& w, uint64_t at_seq) -> absl::Status {
    std::string key = LostKey(w), ignored;
    if (lost_keys.count(key)) return absl::OkStatus();
    rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), lost_, key, &ignored);
    if (st.ok()) return absl::OkStatus();  // recorded before
    if (!st.IsNotFound()) return FromRocks(st, "reading lost writes");
    w.set_seq(at_seq);
    w.set_detected_ms(now_ms);
    batch.Put(lost_, key, w.SerializeAsString());
    lost_keys.insert(std::move(key));
    res.lost.push_back(w);
    return absl::OkStatus();
  };
  for (const v1::Record& delta : req.deltas) {
    if (delta.id().empty()) return absl::InvalidArgumentError("apply: record id is empty");
  }
  store_internal::BatchReads reads;
  ILP_RETURN_IF_ERROR(reads.Read(db_.get(), records_, audit_, req.deltas));
  for (size_t i = 0; i < req.deltas.size(); ++i) {
    v1::Record& delta = req.deltas[i];
    // Audit events live in their own column family; they are logged like
    // any delta so that they replicate (up only: see ChildScope).
    rocksdb::ColumnFamilyHandle* const cf = delta.has_audit() ? audit_ : records_;
    v1::Record current;
    bool exists = false;
    if (auto p = pending.find(delta.id()); p != pending.end()) {
      current = res.states[p->second];
      exists = true;
    } else {
      std::string raw;
      if (!reads.Take(i, &exists, &raw)) {
        rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), cf, delta.id(), &raw);
        if (!st.ok() && !st.IsNotFound()) return FromRocks(st, absl::StrCat("reading record ", delta.id()));
        exists = st.ok();
      }
      if (exists && !current.ParseFromString(raw)) {
        return absl::DataLossError(absl::StrCat("record ", delta.id(), " does not parse"));
      }
    }
    ILP_ASSIGN_OR_RETURN(MergeResult merged, Merge(current, delta));
    std::string before = exists ? current.SerializeAsString() : std::string();
    std::string after = merged.record.SerializeAsString();
    if (exists && before == after) {
      // A duplicate, or a concurrent write that lost outright: the record
      // stays as it is. A loss not seen before is recorded, and the delta is
      // logged all the same so that the nodes above learn of the loss too.
      const size_t known = res.lost.size();
      for (v1::LostWrite& w : merged.lost) ILP_RETURN_IF_ERROR(record_loss(w, seq + 1));
      if (res.lost.size() > known) log_change(delta);
      res.states.push_back(std::move(merged.record));
      continue;
    }
    std::set<std::string> old_idx = exists ? IndexEntries(current) : std::set<std::string>();
    std::set<std::string> new_idx = IndexEntries(merged.record);
    for (const auto& k : old_idx) {
      if (!new_idx.count(k)) batch.Delete(index_, k);
    }
    for (const auto& k : new_idx) {
      if (!old_idx.count(k)) batch.Put(index_, k, "");
    }
    batch.Put(cf, delta.id(), after);
    if (!exists && cf == records_) ++(*counts.mutable_counts())[KindName(merged.record)];
    log_change(delta);
    for (v1::LostWrite& w : merged.lost) ILP_RETURN_IF_ERROR(record_loss(w, seq));
    ++res.changed;
    pending[delta.id()] = res.states.size();
    res.states.push_back(std::move(merged.record));
  }
  ILP_RETURN_IF_ERROR(AddQuarantine(req.quarantine, now_ms, &batch, &res));
  const bool data = res.changed > 0 || !res.lost.empty() || res.quarantined > 0;
  if (req.hlc_high_water) batch.Put(meta_, kHlcKey, req.hlc_high_water->SerializeAsString());
  for (const auto& k : req.meta_deletes) batch.Delete(meta_, k);
  for (const auto& [k, v] : req.meta) batch.Put(meta_, k, v);
  if (res.changed > 0) batch.Put(meta_, kCountsKey, counts.SerializeAsString());
  // Group commit (commit_queue.h): written without fsync under mu_, so the
  // next Apply reads it; made durable below, outside mu_, by one WAL sync
  // shared with every Apply written meanwhile. A write that wrote nothing
  // still waits for the writes it read (a duplicate must not be answered
  // before the original is on disk).
  uint64_t ticket = 0;
  if (batch.Count() > 0) {
    ILP_RETURN_IF_ERROR(ReadyToWrite(data ? WriteClass::kData : WriteClass::kHousekeeping));
    ILP_RETURN_IF_ERROR(WriteLocked(rocksdb::WriteOptions(), &batch));
    ticket = commits_->Written(seq, req.sync);
  } else {
    ticket = commits_->LastTicket();
  }
  counts_ = std::move(counts);
  lost_count_ += res.lost.size();
  quarantine_count_ += res.quarantined;
  const bool logged = seq > last_seq_;
  for (auto& [peer, p] : pending_) {
    if (!logged || (!peer.empty() && peer == req.via)) continue;
    if (p.backlog.changes == 0) p.backlog.oldest_ms = first_logged_ms;
    p.backlog.changes += seq - last_seq_;
    p.backlog.bytes += logged_bytes;
  }
  last_seq_ = seq;
  res.last_seq = seq;
  lock.Release();
  if (req.sync && req.defer_durable) {
    // Timed to the end of this thread's AwaitDurable, so the histogram
    // still holds merge, indexes and fsync.
    if (logged) store_internal::deferred_apply_start = start;
    return res;
  }
  if (req.sync) ILP_RETURN_IF_ERROR(WaitDurable(ticket));
  if (logged) apply_latency_.Record(absl::Now() - start);
  return res;
}

absl::StatusOr<std::vector<std::string>> Store::ScanIndex(absl::string_view prefix,
                                                         size_t limit) const {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p) && out.size() < limit; it->Next()) {
    out.emplace_back(IndexTarget(View(it->key())));
  }
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), "reading index"));
  return out;
}

absl::StatusOr<std::vector<v1::Change>> Store::ReadChanges(uint64_t after_seq, size_t max_count,
                                                           size_t max_bytes) const {
  std::vector<v1::Change> out;
  size_t bytes = 0;
  // Only durable changes leave the node (commit_queue.h): read up to the
  // published head, taken before the iterator so it holds all of them.
  const uint64_t head = LastSeq();
  if (after_seq >= head) return out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  for (it->Seek(SeqKey(after_seq + 1)); it->Valid() && out.size() < max_count; it->Next()) {
    if (SeqFromKey(View(it->key())) > head) break;
    if (!out.empty() && bytes + it->value().size() > max_bytes) break;
    v1::Change c;
    if (!c.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("change ", SeqFromKey(View(it->key())), " does not parse"));
    }
    bytes += it->value().size();
    out.push_back(std::move(c));
  }
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), "reading change log"));
  return out;
}

absl::StatusOr<std::vector<v1::LostWrite>> Store::LostWrites(int64_t since_ms) const {
  std::vector<v1::LostWrite> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), lost_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::LostWrite w;
    if (!w.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("lost write ", absl::CHexEscape(View(it->key())), " does not parse"));
    }
    if (w.detected_ms() >= since_ms) out.push_back(std::move(w));
  }
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), "reading lost writes"));
  std::sort(out.begin(), out.end(),
            [](const v1::LostWrite& a, const v1::LostWrite& b) { return a.seq() < b.seq(); });
  return out;
}

absl::StatusOr<std::string> Store::GetMeta(absl::string_view key) const {
  std::string v;
  rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), meta_, rocksdb::Slice(key.data(), key.size()), &v);
  ILP_RETURN_IF_ERROR(FromRocks(st, absl::StrCat("meta ", key)));
  return v;
}

absl::Status Store::PutMeta(absl::string_view key, absl::string_view value) {
  absl::MutexLock l(&mu_);
  return PutMetaLocked(key, value);
}

absl::Status Store::PutMetaLocked(absl::string_view key, absl::string_view value) {
  ILP_RETURN_IF_ERROR(ReadyToWrite(WriteClass::kHousekeeping));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::WriteBatch batch;
  batch.Put(meta_, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
  absl::Status st = WriteLocked(wo, &batch);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("writing meta ", key, ": ", st.message()));
  return absl::OkStatus();
}

absl::Status Store::ReadyToWrite(WriteClass cls) {
  ILP_RETURN_IF_ERROR(disk_->Check(cls));
  if (needs_resume_) {
    // A write failed inside RocksDB (it may have stopped writes after a
    // background error); space is back now, so clear the error and go on.
    ILP_RETURN_IF_ERROR(FromRocks(db_->Resume(), "resuming writes after an I/O error"));
    needs_resume_ = false;
  }
  return absl::OkStatus();
}

absl::Status Store::WriteLocked(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* batch) {
  rocksdb::Status st = db_->Write(wo, batch);
  if (st.IsIOError() || st.IsNoSpace()) needs_resume_ = true;
  return FromRocks(st, "writing batch");
}

absl::Status Store::VerifyChecksums() const {
  return FromRocks(db_->VerifyChecksum(), "verifying table checksums");
}

absl::Status Store::TEST_Flush() {
  return FromRocks(db_->Flush(rocksdb::FlushOptions(), handles_), "flushing");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Store::ScanMeta(
    absl::string_view prefix, absl::string_view after, size_t limit) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  rocksdb::Slice p(prefix.data(), prefix.size());
  it->Seek(after > prefix ? rocksdb::Slice(after.data(), after.size()) : p);
  if (it->Valid() && !after.empty() && it->key() == rocksdb::Slice(after.data(), after.size())) it->Next();
  for (; it->Valid() && it->key().starts_with(p) && out.size() < limit; it->Next()) {
    out.emplace_back(std::string(View(it->key())), std::string(View(it->value())));
  }
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), absl::StrCat("reading meta ", prefix)));
  return out;
}

absl::Status Store::Checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  ILP_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "starting a checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush 0: flush first, so the copy needs no WAL replay.
  return FromRocks(cp->CreateCheckpoint(dir, /*log_size_for_flush=*/0), absl::StrCat("checkpoint into ", dir));
}

absl::Status Store::Verify() const {
  std::vector<std::string> problems;
  auto problem = [&](std::string p) {
    if (problems.size() < 1000) problems.push_back(std::move(p));
  };
  // One snapshot for every read, so a node taking writes verifies cleanly.
  std::shared_ptr<const rocksdb::Snapshot> snap(
      db_->GetSnapshot(), [this](const rocksdb::Snapshot* s) { db_->ReleaseSnapshot(s); });
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  // 1. Replay the change log from scratch; it must rebuild every record.
  std::map<std::string, v1::Record> replay;
  std::set<std::string> audit_ids;  // audit events: kept in the audit column family
  uint64_t expect_seq = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq = SeqFromKey(View(it->key()));
    if (seq != ++expect_seq) problem(absl::StrCat("change log gap before seq ", seq));
    expect_seq = seq;
    v1::Change c;
    if (!c.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      problem(absl::StrCat("change ", seq, " does not parse"));
      continue;
    }
    if (c.delta().has_audit()) {
      audit_ids.insert(c.delta().id());
      continue;
    }
    auto merged = Merge(replay[c.delta().id()], c.delta());
    if (!merged.ok()) {
      problem(absl::StrCat("change ", seq, ": ", merged.status().message()));
      continue;
    }
    replay[c.delta().id()] = std::move(merged->record);
  }
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), "verify: reading change log"));
  // 2. Every record equals its replay and implies exactly the stored indexes.
  std::set<std::string> want_index;
  std::map<std::string, uint64_t> kinds;
  size_t records = 0;
  std::unique_ptr<rocksdb::Iterator> rit(db_->NewIterator(ro, records_));
  for (rit->SeekToFirst(); rit->Valid(); rit->Next()) {
    ++records;
    std::string id(View(rit->key()));
    v1::Record r;
    if (!r.ParseFromArray(rit->value().data(), static_cast<int>(rit->value().size()))) {
      problem(absl::StrCat("record ", id, " does not parse"));
      continue;
    }
    auto rp = replay.find(id);
    if (rp == replay.end()) {
      problem(absl::StrCat("record ", id, " has no change-log entry"));
    } else if (rp->second.SerializeAsString() != View(rit->value())) {
      problem(absl::StrCat("record ", id, " differs from its change-log replay"));
    }
    ++kinds[KindName(r)];
    for (auto& k : IndexEntries(r)) want_index.insert(std::move(k));
  }
  ILP_RETURN_IF_ERROR(FromRocks(rit->status(), "verify: reading records"));
  // 3. The kept record counts match.
  std::string raw_counts;
  v1::KindCounts counts;
  rocksdb::Status cst = db_->Get(ro, meta_, kCountsKey, &raw_counts);
  if (!cst.ok() && !cst.IsNotFound()) return FromRocks(cst, "reading meta counts");
  if (!cst.ok() || !counts.ParseFromString(raw_counts)) {
    problem("record counts (meta counts) missing or unreadable");
  } else {
    std::map<std::string, uint64_t> kept;
    for (const auto& [k, n] : counts.counts()) {
      if (n != 0) kept[k] = n;
    }
    if (kept != kinds) problem("kept record counts differ from the records stored");
  }
  if (records != replay.size()) {
    problem(absl::StrCat("change log names ", replay.size(), " records, store holds ", records));
  }
  std::unique_ptr<rocksdb::Iterator> ait(db_->NewIterator(ro, audit_));
  for (ait->SeekToFirst(); ait->Valid(); ait->Next()) {
    if (audit_ids.erase(std::string(View(ait->key()))) == 0) {
      problem(absl::StrCat("audit event ", View(ait->key()), " has no change-log entry"));
    }
    v1::Record e;
    if (!e.ParseFromArray(ait->value().data(), static_cast<int>(ait->value().size()))) {
      problem(absl::StrCat("audit event ", View(ait->key()), " does not parse"));
      continue;
    }
    for (auto& k : IndexEntries(e)) want_index.insert(std::move(k));
  }
  ILP_RETURN_IF_ERROR(FromRocks(ait->status(), "verify: reading audit"));
  for (const auto& id : audit_ids) problem(absl::StrCat("audit event ", id, " is missing"));
  std::unique_ptr<rocksdb::Iterator> iit(db_->NewIterator(ro, index_));
  for (iit->SeekToFirst(); iit->Valid(); iit->Next()) {
    std::string k(View(iit->key()));
    if (want_index.erase(k) == 0) {
      problem(absl::StrCat("stale index entry ", absl::CHexEscape(k)));
    }
  }
  ILP_RETURN_IF_ERROR(FromRocks(iit->status(), "verify: reading index"));
  for (const auto& k : want_index) problem(absl::StrCat("missing index entry ", absl::CHexEscape(k)));
  if (problems.empty()) return absl::OkStatus();
  std::vector<std::string> head(problems.begin(),
                                problems.begin() + std::min<size_t>(problems.size(), 5));
  return absl::DataLossError(absl::StrCat(problems.size(), " problem(s): ",
                                          absl::StrJoin(head, "; ")));
}

absl::Status Store::TEST_DeleteIndexEntry(absl::string_view key) {
  return FromRocks(db_->Delete(rocksdb::WriteOptions(), index_, rocksdb::Slice(key.data(), key.size())),
                   "deleting index entry");
}

absl::Status Store::TEST_PutRawRecord(absl::string_view id, absl::string_view bytes) {
  return FromRocks(db_->Put(rocksdb::WriteOptions(), records_, rocksdb::Slice(id.data(), id.size()),
                            rocksdb::Slice(bytes.data(), bytes.size())),
                   "putting raw record");
}

absl::StatusOr<bool> Store::IsRevoked(absl::string_view jti) const {
  if (jti.empty()) return false;
  ILP_ASSIGN_OR_RETURN(std::vector<std::string> ids, ScanIndex(IndexKey('j', {jti, ""}), 1));
  return !ids.empty();
}

absl::Status Store::ForEachRecord(const std::function<void(const v1::Record&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), records_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::Record r;
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("record ", absl::CHexEscape(View(it->key())), " does not parse"));
    }
    fn(r);
  }
  return FromRocks(it->status(), "reading records");
}

StoreStats Store::Stats() const {
  StoreStats s;
  uint64_t size = 0;
  StoreMemoryStats& m = s.memory;
  m.budget = memory_budget_;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &v)) size += v;
    if (db_->GetIntProperty(h, "rocksdb.size-all-mem-tables", &v)) {
      size += v;
      m.memtables += v;
    }
    if (db_->GetIntProperty(h, "rocksdb.estimate-table-readers-mem", &v)) m.table_readers += v;
  }
  // One cache for every family: read it once.
  db_->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &m.block_cache);
  db_->GetIntProperty(rocksdb::DB::Properties::kBlockCachePinnedUsage, &m.block_cache_pinned);
  s.approximate_bytes = size;
  s.last_seq = LastSeq();
  absl::MutexLock l(&mu_);
  std::map<std::string, uint64_t> kinds(counts_.counts().begin(), counts_.counts().end());
  s.records_by_kind.assign(kinds.begin(), kinds.end());
  return s;
}

absl::Status Store::AddQuarantine(std::vector<v1::QuarantinedDelta>& entries, int64_t now_ms,
                                  rocksdb::WriteBatch* batch, ApplyResult* res) {
  std::set<std::string> keys;
  for (v1::QuarantinedDelta& q : entries) {
    std::string key = QuarantineKey(q.from_node(), q.delta()), ignored;
    if (keys.count(key)) continue;
    rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), quarantine_, key, &ignored);
    if (st.ok()) continue;  // resent: kept once
    if (!st.IsNotFound()) return FromRocks(st, "reading quarantine");
    q.set_seq(quarantine_count_ + static_cast<uint64_t>(++res->quarantined));
    if (q.detected_ms() == 0) q.set_detected_ms(now_ms);
    batch->Put(quarantine_, key, q.SerializeAsString());
    keys.insert(std::move(key));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::QuarantinedDelta>> Store::ListQuarantine(size_t limit) const {
  std::vector<v1::QuarantinedDelta> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), quarantine_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::QuarantinedDelta q;
    if (!q.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("quarantine entry ",
                                              absl::CHexEscape(View(it->key())), " does not parse"));
    }
    out.push_back(std::move(q));
  }
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), "reading quarantine"));
  std::sort(out.begin(), out.end(), [](const v1::QuarantinedDelta& a, const v1::QuarantinedDelta& b) {
    return a.seq() > b.seq();
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

uint64_t Store::QuarantineCount() const {
  absl::MutexLock l(&mu_);
  return quarantine_count_;
}

uint64_t Store::LostWriteCount() const {
  absl::MutexLock l(&mu_);
  return lost_count_;
}

absl::StatusOr<Backlog> Store::BacklogAfter(uint64_t after_seq, absl::string_view skip_via) const {
  Backlog b;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  v1::Change c;
  for (it->Seek(SeqKey(after_seq + 1)); it->Valid(); it->Next()) {
    if (!c.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("change ", SeqFromKey(View(it->key())), " does not parse"));
    }
    if (!skip_via.empty() && c.via() == skip_via) continue;
    ++b.changes;
    b.bytes += c.delta().ByteSizeLong();
    if (b.oldest_ms == 0) b.oldest_ms = c.applied_ms();
  }
  ILP_RETURN_IF_ERROR(FromRocks(it->status(), "reading change log"));
  return b;
}

}  // namespace ilp
