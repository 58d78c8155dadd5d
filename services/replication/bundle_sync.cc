// The sync engine's side of bundles (docs/bundles.md): the batches a session
// would carry, written for a file, and the apply of a verified bundle through
// the same admission and quarantine as a session with a child.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/replication/meta_keys.h"
#include "services/replication/scope.h"
#include "services/replication/sync_engine.h"
#include "spdlog/spdlog.h"
#include "storage/util/status_macros.h"

namespace ilp {

using sync_meta::BundleAncestorKey;
using sync_meta::BundleAreaKey;
using sync_meta::BundleDownAckedKey;
using sync_meta::BundleInKey;
using sync_meta::BundleOutKey;
using sync_meta::BundleReceiptedKey;
using sync_meta::DownAckedKey;
using sync_meta::kBundleUpAcked;
using sync_meta::kDownCursor;
using sync_meta::kParentIncarnation;
using sync_meta::kUpAcked;
using sync_meta::UpCursorKey;

namespace {

bool InArea(const std::string& code, const std::vector<std::string>& area) {
  for (const auto& a : area) {
    if (absl::StartsWith(code, a)) return true;
  }
  return false;
}

// The sender's change-log range (base, end] an importer holds from one
// store incarnation, stored as "base:end" (empty when base == end).
struct HeldRange {
  uint64_t base = 0, end = 0;

  static absl::StatusOr<HeldRange> Parse(const std::string& raw, const std::string& key) {
    HeldRange r;
    if (raw.empty()) return r;
    std::vector<absl::string_view> parts = absl::StrSplit(raw, ':');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &r.base) || !absl::SimpleAtoi(parts[1], &r.end) ||
        r.base > r.end) {
      return absl::DataLossError(absl::StrCat("meta ", key, ": \"", raw, "\" is not base:end"));
    }
    return r;
  }
  std::string Encode() const { return absl::StrCat(base, ":", end); }
  bool Empty() const { return base == end; }
  bool Covers(uint64_t from, uint64_t to) const { return !Empty() && base <= from && to <= end; }
  bool Touches(uint64_t from, uint64_t to) const { return !Empty() && from <= end && to >= base; }
  HeldRange Join(uint64_t from, uint64_t to) const { return {std::min(base, from), std::max(end, to)}; }
  bool operator==(const HeldRange& o) const { return base == o.base && end == o.end; }
};

}  // namespace

absl::StatusOr<const v1::ChildConfig*> SyncEngine::ChildToward(const std::string& node) const {
  for (const auto& c : cfg_.children()) {
    if (c.node_id() == node) return &c;
  }
  for (const auto& c : cfg_.children()) {
    ILP_ASSIGN_OR_RETURN(const v1::PeerState p, KnownPeer(c.node_id()));
    for (const auto& n : p.subtree()) {
      if (n == node) return &c;
    }
  }
  return nullptr;
}

absl::StatusOr<ChildTrust> SyncEngine::TrustFor(const std::string& sender,
                                                const v1::ChildConfig& child) const {
  ChildTrust trust;
  trust.child_id = sender;
  trust.writers.insert(sender);
  // A node below the sender wrote through it: what this node believes of
  // the sender's own subtree (known if it ever synced with this node).
  ILP_ASSIGN_OR_RETURN(const v1::PeerState p, KnownPeer(sender));
  trust.writers.insert(p.subtree().begin(), p.subtree().end());
  trust.area.assign(child.working_area().begin(), child.working_area().end());
  trust.now_ms = hlc_->TrustedNowMs() > 0 ? hlc_->TrustedNowMs() : hlc_->physical()->NowMs();
  trust.max_skew_ms = int64_t{cfg_.max_clock_skew_s()} * 1000;
  return trust;
}

absl::StatusOr<SyncEngine::BundleBatches> SyncEngine::BundleFor(const std::string& to, uint64_t after,
                                                                 uint64_t max_bytes) {
  if (to.empty() || to == cfg_.node_id()) {
    return absl::InvalidArgumentError("to: must name another node");
  }
  BundleBatches out;
  ILP_ASSIGN_OR_RETURN(out.incarnation, Incarnation());
  ILP_ASSIGN_OR_RETURN(const v1::ChildConfig* child, ChildToward(to));
  std::optional<ChildScopeSpec> spec;
  std::set<std::string> only_via;
  if (child != nullptr) {
    out.down = true;
    ILP_ASSIGN_OR_RETURN(const uint64_t online, MetaU64(DownAckedKey(to)));
    ILP_ASSIGN_OR_RETURN(const uint64_t receipted, MetaU64(BundleDownAckedKey(to)));
    out.from = std::max(online, receipted);
    std::vector<std::string> area(child->working_area().begin(), child->working_area().end());
    if (child->node_id() != to) {
      // A node further down: the area it declared in its bundles, within
      // the area of the child on its path; without one, only what is
      // addressed to it.
      ILP_ASSIGN_OR_RETURN(const std::string declared, MetaOrEmpty(BundleAreaKey(to)));
      std::vector<std::string> narrowed;
      for (absl::string_view a : absl::StrSplit(declared, ',', absl::SkipEmpty())) {
        if (InArea(std::string(a), area)) narrowed.emplace_back(a);
      }
      area = std::move(narrowed);
    }
    std::set<std::string> addressed = {to};
    ILP_ASSIGN_OR_RETURN(const v1::PeerState p, KnownPeer(to));
    addressed.insert(p.subtree().begin(), p.subtree().end());
    spec = ChildScopeSpec{std::move(area), std::move(addressed)};
  } else {
    // Up: what was written here or came from the subtree, after what the
    // parent acknowledged online or any ancestor by receipt.
    ILP_ASSIGN_OR_RETURN(const uint64_t online, MetaU64(kUpAcked));
    ILP_ASSIGN_OR_RETURN(const uint64_t receipted, MetaU64(kBundleUpAcked));
    out.from = std::max(online, receipted);
    ILP_ASSIGN_OR_RETURN(only_via, Subtree());
    only_via.insert("");
  }
  const uint64_t until = store_->LastSeq();
  if (after > until) {
    return absl::InvalidArgumentError(absl::StrCat("after_cursor: ", after, " is past the end of ", cfg_.node_id(),
                                                   "'s change log (", until, ")"));
  }
  out.from = std::min(std::max(out.from, after), until);
  uint64_t cursor = out.from;
  uint64_t bytes = 0;
  for (;;) {
    std::unique_ptr<ChildScope> scope;
    if (spec) scope = std::make_unique<ChildScope>(store_, spec->area, spec->addressed);
    ILP_ASSIGN_OR_RETURN(Outgoing o, NextBatch(cursor, to, scope.get(), /*echo=*/false,
                                               cfg_.max_batch_bytes(), until,
                                               v1::BATCH_ENCODING_PROTOBUF, out.down ? nullptr : &only_via));
    const v1::Batch& b = o.msg.batch();
    if (b.cursor() <= cursor) break;  // nothing after the cursor
    // A volume ends before the batch that would take it past max_bytes (its
    // first batch always goes in, so every volume moves on).
    if (!out.batches.empty() && bytes + b.ByteSizeLong() > max_bytes) {
      out.more = true;
      break;
    }
    cursor = b.cursor();
    bytes += b.ByteSizeLong();
    out.batches.push_back(b);
    if (b.last() || cursor >= until) break;
  }
  out.to = cursor;
  return out;
}

absl::Status SyncEngine::RecordBundleOut(const v1::BundleHeader& header) {
  v1::BundleHeader kept = header;
  kept.clear_sender_cert_pem();
  kept.clear_sender_chain_pem();
  kept.clear_ephemeral_public_key();
  kept.clear_stream_header();
  ApplyRequest req;
  req.meta.emplace_back(BundleOutKey(header.bundle_id()), kept.SerializeAsString());
  ILP_ASSIGN_OR_RETURN(const v1::ChildConfig* child, ChildToward(header.recipient()));
  if (child == nullptr) req.meta.emplace_back(BundleAncestorKey(header.recipient()), "1");
  return store_->Apply(std::move(req)).status();
}

absl::StatusOr<SyncEngine::BundleApplied> SyncEngine::ImportBundle(
    const v1::BundleHeader& h, const std::vector<v1::Batch>& batches) {
  const std::string& sender = h.sender();
  if (h.recipient() != cfg_.node_id()) {
    return absl::FailedPreconditionError(absl::StrCat("header.recipient: the bundle is for ", h.recipient(),
                                                      ", this node is ", cfg_.node_id()));
  }
  if (h.sender_incarnation().empty()) {
    return absl::InvalidArgumentError("header.sender_incarnation: is required");
  }
  ILP_ASSIGN_OR_RETURN(const v1::ChildConfig* child, ChildToward(sender));
  std::optional<ChildTrust> trust;
  // Cursors of an online peer this bundle may also advance, when it
  // continues them: a later session then does not resend it.
  std::string session_key;
  if (child != nullptr) {
    ILP_ASSIGN_OR_RETURN(trust, TrustFor(sender, *child));
    ILP_ASSIGN_OR_RETURN(const v1::PeerState p, KnownPeer(sender));
    if (child->node_id() == sender && p.incarnation() == h.sender_incarnation()) {
      session_key = UpCursorKey(sender);
    }
  } else {
    ILP_ASSIGN_OR_RETURN(const std::string ancestor, MetaOrEmpty(BundleAncestorKey(sender)));
    if (sender != cfg_.parent_id() && ancestor.empty()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "bundle sender ", sender, " is neither in the subtree of ", cfg_.node_id(),
          " nor its parent or a node it sent a bundle up to"));
    }
    ILP_ASSIGN_OR_RETURN(const std::string parent_inc, MetaOrEmpty(kParentIncarnation));
    if (sender == cfg_.parent_id() && parent_inc == h.sender_incarnation()) session_key = kDownCursor;
  }
  // A bundle from above is logged as arriving from the parent's side, as a
  // session with the parent would log it: the up phase never sends it back
  // up (the parent would quarantine it: this node did not write it).
  const std::string via = child == nullptr && !cfg_.parent_id().empty() ? cfg_.parent_id() : sender;
  const std::string dedup_key = BundleInKey(sender, h.sender_incarnation());
  BundleApplied out;
  absl::MutexLock l(&mu_);  // one import at a time: the dedup range is read-modify-write
  ILP_ASSIGN_OR_RETURN(const std::string raw_held, MetaOrEmpty(dedup_key));
  ILP_ASSIGN_OR_RETURN(HeldRange held, HeldRange::Parse(raw_held, dedup_key));
  uint64_t session_held = 0;
  if (!session_key.empty()) {
    // A session with the sender holds all of (0, session_held].
    ILP_ASSIGN_OR_RETURN(session_held, MetaU64(session_key));
    if (held.Touches(0, session_held)) held = held.Join(0, session_held);
    if (held.Empty()) held = HeldRange{0, session_held};
  }
  uint64_t prev = h.from_cursor();
  for (const v1::Batch& b : batches) {
    if (b.cursor() <= prev || b.cursor() > h.to_cursor()) {
      return absl::InvalidArgumentError(absl::StrCat("batch.cursor: ", b.cursor(), " must rise within (",
                                                     h.from_cursor(), ", ", h.to_cursor(), "]"));
    }
    const uint64_t first = prev;  // the batch holds the sender's (first, cursor]
    prev = b.cursor();
    if (held.Covers(first, b.cursor())) {
      ++out.batches_already_had;
      continue;
    }
    if (b.payload().size() > cfg_.max_batch_bytes() + kBatchRecordAllowance) {
      return absl::InvalidArgumentError(absl::StrCat("batch.payload: ", b.payload().size(),
                                                     " bytes compressed, over the cap"));
    }
    std::vector<std::pair<std::string, std::string>> meta;
    // The range grows when the batch touches it; a batch past a gap starts a
    // new one (what lies before is re-applied if it comes again: a no-op).
    HeldRange next = held;
    if (held.Touches(first, b.cursor())) {
      next = held.Join(first, b.cursor());
    } else if (held.Empty() || first > held.end) {
      next = HeldRange{first, b.cursor()};
    }
    if (!(next == held)) {
      held = next;
      meta.emplace_back(dedup_key, held.Encode());
    }
    if (!session_key.empty() && first <= session_held && b.cursor() > session_held) {
      session_held = b.cursor();
      meta.emplace_back(session_key, absl::StrCat(session_held));
    }
    if (child != nullptr && h.sender_area_size() > 0) {
      std::string area;
      for (const auto& a : h.sender_area()) absl::StrAppend(&area, area.empty() ? "" : ",", a);
      meta.emplace_back(BundleAreaKey(sender), area);
    }
    ILP_ASSIGN_OR_RETURN(ApplyResult res, ApplyDeltas(b, via, trust ? &*trust : nullptr, std::move(meta)));
    ++out.batches_applied;
    out.changes += res.changed;
    out.quarantined += res.quarantined;
  }
  out.applied_to = batches.empty() ? h.from_cursor() : batches.back().cursor();
  spdlog::info("bundle {} from {}: {} batches applied, {} already here, {} changes, {} quarantined",
               h.bundle_id(), sender, out.batches_applied, out.batches_already_had, out.changes,
               out.quarantined);
  return out;
}

absl::Status SyncEngine::AcceptReceipt(const v1::BundleReceipt& r) {
  ILP_ASSIGN_OR_RETURN(const std::string raw, MetaOrEmpty(BundleOutKey(r.bundle_id())));
  v1::BundleHeader sent;
  if (raw.empty() || !sent.ParseFromString(raw)) {
    return absl::FailedPreconditionError(
        absl::StrCat("receipt.bundle_id: ", r.bundle_id(), " is not a bundle ", cfg_.node_id(), " wrote"));
  }
  ILP_ASSIGN_OR_RETURN(const std::string own, Incarnation());
  if (r.sender() != cfg_.node_id() || r.sender_incarnation() != own ||
      r.sender_incarnation() != sent.sender_incarnation()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "receipt.sender_incarnation: the receipt is for ", r.sender(), " incarnation ",
        r.sender_incarnation(), "; this store is ", cfg_.node_id(), " incarnation ", own));
  }
  if (r.importer() != sent.recipient()) {
    return absl::FailedPreconditionError(absl::StrCat("receipt.importer: ", r.importer(),
                                                      ", but the bundle was for ", sent.recipient()));
  }
  if (r.from_cursor() != sent.from_cursor() || r.applied_to() < r.from_cursor() ||
      r.applied_to() > sent.to_cursor()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "receipt.applied_to: ", r.applied_to(), " from ", r.from_cursor(), " is outside the bundle's range (",
        sent.from_cursor(), ", ", sent.to_cursor(), "]"));
  }
  ILP_ASSIGN_OR_RETURN(const v1::ChildConfig* child, ChildToward(sent.recipient()));
  const bool down = child != nullptr;
  const std::string key = down ? BundleDownAckedKey(sent.recipient()) : kBundleUpAcked;
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(const uint64_t acked, MetaU64(key));
  // Receipts taken before, by the start of their bundle: a later volume's
  // receipt may come back first, and counts once the volumes before it did.
  std::multimap<uint64_t, uint64_t> receipted = {{r.from_cursor(), r.applied_to()}};
  ILP_ASSIGN_OR_RETURN(auto sent_before, store_->ScanMeta(BundleOutKey("")));
  for (const auto& [out_key, raw_out] : sent_before) {
    v1::BundleHeader o;
    if (!o.ParseFromString(raw_out)) return absl::DataLossError(absl::StrCat("meta ", out_key, ": does not parse"));
    if (o.bundle_id() == r.bundle_id()) continue;
    if (down ? o.recipient() != sent.recipient() : o.recipient() == cfg_.node_id()) continue;
    if (!down) {
      ILP_ASSIGN_OR_RETURN(const v1::ChildConfig* c, ChildToward(o.recipient()));
      if (c != nullptr) continue;  // a bundle down, not toward an ancestor
    }
    ILP_ASSIGN_OR_RETURN(const uint64_t to, MetaU64(BundleReceiptedKey(o.bundle_id())));
    if (to > o.from_cursor()) receipted.emplace(o.from_cursor(), to);
  }
  // The acknowledged range (online or by receipt, as BundleFor starts from)
  // grows over every receipt that starts within it.
  ILP_ASSIGN_OR_RETURN(const uint64_t online, MetaU64(down ? DownAckedKey(sent.recipient()) : std::string(kUpAcked)));
  uint64_t held = std::max(acked, online);
  for (const auto& [from, to] : receipted) {
    if (from > held) break;
    held = std::max(held, to);
  }
  ApplyRequest req;
  if (held > std::max(acked, online)) req.meta.emplace_back(key, absl::StrCat(held));
  req.meta.emplace_back(BundleReceiptedKey(r.bundle_id()), absl::StrCat(r.applied_to()));
  return store_->Apply(std::move(req)).status();
}

absl::StatusOr<std::vector<v1::BundleAwaitingReceipt>> SyncEngine::BundlesAwaitingReceipt() const {
  ILP_ASSIGN_OR_RETURN(auto sent, store_->ScanMeta(BundleOutKey("")));
  std::vector<v1::BundleAwaitingReceipt> out;
  for (const auto& [key, raw] : sent) {
    v1::BundleHeader h;
    if (!h.ParseFromString(raw)) return absl::DataLossError(absl::StrCat("meta ", key, ": does not parse"));
    // What the recipient holds of this node's log: by any receipt, or by
    // sessions (down: the child's ack; up: the parent's, which relays on).
    ILP_ASSIGN_OR_RETURN(const v1::ChildConfig* child, ChildToward(h.recipient()));
    uint64_t held = 0;
    if (child != nullptr) {
      ILP_ASSIGN_OR_RETURN(const uint64_t online, MetaU64(DownAckedKey(h.recipient())));
      ILP_ASSIGN_OR_RETURN(const uint64_t receipted, MetaU64(BundleDownAckedKey(h.recipient())));
      held = std::max(online, receipted);
    } else {
      ILP_ASSIGN_OR_RETURN(const uint64_t online, MetaU64(kUpAcked));
      ILP_ASSIGN_OR_RETURN(const uint64_t receipted, MetaU64(kBundleUpAcked));
      held = std::max(online, receipted);
    }
    ILP_ASSIGN_OR_RETURN(const uint64_t own, MetaU64(BundleReceiptedKey(h.bundle_id())));
    held = std::max({held, own, h.from_cursor()});
    if (held >= h.to_cursor()) continue;
    v1::BundleAwaitingReceipt& b = out.emplace_back();
    b.set_bundle_id(h.bundle_id());
    b.set_recipient(h.recipient());
    b.set_from_cursor(h.from_cursor());
    b.set_to_cursor(h.to_cursor());
    b.set_created_ms(h.created_ms());
    b.set_acknowledged_to(held);
    b.set_batches(h.batches());
    b.set_changes(h.changes());
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_ms() < b.created_ms();
  });
  return out;
}

}  // namespace ilp
