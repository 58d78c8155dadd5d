// Pending counters: what each peer has still to receive from this node, kept
// so that `ilpctl status` and a metrics scrape cost O(1) in the backlog
// (issue 14, target 7; docs/performance.md, "Operator calls").
//
// Per peer, the store keeps the cursor last asked for and the backlog after
// it (changes, bytes, applied_ms of the first). Apply adds each batch's
// changes to every kept peer but the one they came from (req.via: one per
// batch, so O(peers) per Apply and no key-value written). Moving a peer's
// cursor subtracts, or adds, the changes in the range it moved over: one
// pass over what a session just acknowledged, on the sync path, in
// proportion to work the session already did. The counters live in memory.
// A clean close stores them with the head; the next open takes them if the
// head is the same (the log up to it never changes, so they are still
// exact). After a crash, the start rebuilds them with one pass per peer
// over its backlog (SyncEngine::CountBacklogs). The alternative, prefix sums
// per seq (and per via) in the store, answers any cursor with two Seeks
// but writes one more key-value per change, against issue 14's aim of
// fewer key-values per record.
//
// The passes run without mu_: the log up to a head read under mu_ never
// changes. Under mu_, the result is taken only if no other caller moved the
// same counters meanwhile (else it is done again), and what Apply added
// after that head is already counted, or is counted under mu_ (a short
// range: what was written during the pass).
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/store/keys.h"
#include "storage/store/store.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

// Meta: "<head>\n" then "<peer>\t<cursor>\t<changes>\t<bytes>\t<oldest_ms>\n"
// per peer.
constexpr char kPendingKey[] = "pending-counters";

}  // namespace

void Store::SavePending() {
  // Nothing asked (or an open that failed): the store is left as it was.
  // Best effort: without them the next start counts again.
  if (pending_.empty() || !ReadyToWrite(WriteClass::kHousekeeping).ok()) return;
  std::string v = absl::StrCat(last_seq_, "\n");
  for (const auto& [peer, p] : pending_) {
    absl::StrAppend(&v, peer, "\t", p.cursor, "\t", p.backlog.changes, "\t", p.backlog.bytes, "\t",
                    p.backlog.oldest_ms, "\n");
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::WriteBatch batch;
  batch.Put(meta_, kPendingKey, v);
  WriteLocked(wo, &batch).IgnoreError();
}

void Store::LoadPending() {
  absl::StatusOr<std::string> v = GetMeta(kPendingKey);
  if (!v.ok()) return;  // never stored, or unreadable: counted again on demand
  std::vector<absl::string_view> lines = absl::StrSplit(*v, '\n', absl::SkipEmpty());
  uint64_t head = 0;
  if (lines.empty() || !absl::SimpleAtoi(lines[0], &head) || head != last_seq_) return;
  std::map<std::string, PeerBacklog, std::less<>> loaded;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], '\t');
    PeerBacklog p;
    if (f.size() != 5 || !absl::SimpleAtoi(f[1], &p.cursor) || !absl::SimpleAtoi(f[2], &p.backlog.changes) ||
        !absl::SimpleAtoi(f[3], &p.backlog.bytes) || !absl::SimpleAtoi(f[4], &p.backlog.oldest_ms) ||
        p.cursor > head) {
      return;
    }
    loaded[std::string(f[0])] = p;
  }
  pending_ = std::move(loaded);
}

absl::Status Store::CountRange(uint64_t from, uint64_t to, absl::string_view peer, Backlog* b,
                               uint64_t* first_seq, int64_t* first_ms) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  v1::Change c;
  for (it->Seek(SeqKey(from + 1)); it->Valid(); it->Next()) {
    const uint64_t seq = SeqFromKey(absl::string_view(it->key().data(), it->key().size()));
    if (seq > to) break;
    if (!c.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("change ", seq, " does not parse"));
    }
    if (!peer.empty() && c.via() == peer) continue;
    if (first_seq != nullptr) {
      *first_seq = seq;
      *first_ms = c.applied_ms();
      break;
    }
    ++b->changes;
    b->bytes += c.delta().ByteSizeLong();
    if (b->oldest_ms == 0) b->oldest_ms = c.applied_ms();
  }
  if (!it->status().ok()) return absl::InternalError(absl::StrCat("reading change log: ", it->status().ToString()));
  return absl::OkStatus();
}

absl::StatusOr<Backlog> Store::Pending(const std::string& peer, uint64_t cursor) {
  while (true) {
    PeerBacklog was;
    bool kept = false;
    uint64_t head = 0;
    {
      absl::MutexLock l(&mu_);
      if (auto p = pending_.find(peer); p != pending_.end()) {
        if (p->second.cursor == cursor) return p->second.backlog;
        was = p->second;
        kept = true;
      }
      head = last_seq_;
    }
    // Past the head nothing is pending (and nothing is kept for it).
    if (cursor > head) return Backlog();
    // Without mu_: the changes between the old cursor (or, for a new peer,
    // the head) and the new one. `was` covers (was.cursor, head].
    const bool forward = kept && cursor > was.cursor;
    Backlog moved;
    if (forward) {
      ILP_RETURN_IF_ERROR(CountRange(was.cursor, cursor, peer, &moved));
    } else {
      ILP_RETURN_IF_ERROR(CountRange(cursor, kept ? was.cursor : head, peer, &moved));
    }
    // Moving forward past the oldest pending change: the next one still
    // pending is the new oldest (found here if it was written by `head`).
    uint64_t next_seq = 0;
    int64_t next_ms = 0;
    const bool past_oldest = forward && moved.changes > 0;
    if (past_oldest && was.backlog.changes > moved.changes) {
      ILP_RETURN_IF_ERROR(CountRange(cursor, head, peer, nullptr, &next_seq, &next_ms));
    }
    absl::MutexLock l(&mu_);
    auto p = pending_.find(peer);
    if (kept != (p != pending_.end()) || (kept && p->second.cursor != was.cursor)) continue;  // moved meanwhile
    Backlog b;
    if (forward) {
      b = p->second.backlog;
      b.changes -= moved.changes;
      b.bytes -= moved.bytes;
      if (past_oldest) {
        b.oldest_ms = next_ms;
        if (next_seq == 0 && b.changes > 0) {
          // Everything still pending was written after `head`, during the pass.
          ILP_RETURN_IF_ERROR(CountRange(head, last_seq_, peer, nullptr, &next_seq, &b.oldest_ms));
        }
      }
    } else {
      // Backward, or a peer not kept yet: what was counted after the old
      // cursor, or what Apply wrote after `head`, follows the range counted.
      Backlog after;
      if (kept) {
        after = p->second.backlog;
      } else {
        ILP_RETURN_IF_ERROR(CountRange(head, last_seq_, peer, &after));
      }
      b = moved;
      b.changes += after.changes;
      b.bytes += after.bytes;
      if (b.oldest_ms == 0) b.oldest_ms = after.oldest_ms;
    }
    pending_[peer] = PeerBacklog{cursor, b};
    return b;
  }
}

}  // namespace ilp
