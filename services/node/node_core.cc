#include "services/node/node_core.h"

#include "absl/strings/str_cat.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

// Gives a new store its incarnation id: random, made once, never changed.
absl::Status EnsureIncarnation(Store* store, Random* random) {
  absl::StatusOr<std::string> inc = store->GetMeta("incarnation");
  if (inc.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(inc.status())) return inc.status();
  // 64 random bits: enough to tell two stores apart, and cheap on the wire
  // (it travels in every Hello and Welcome).
  return store->PutMeta("incarnation", absl::StrCat(absl::Hex(random->Next64(), absl::kZeroPad16)));
}

}  // namespace

absl::StatusOr<NodeCore> NodeCore::Open(const v1::NodeConfig& cfg, Clock* clock, Random* random,
                                        StoreOptions store_options) {
  NodeCore c;
  ILP_ASSIGN_OR_RETURN(c.store, Store::Open(cfg.data_dir(), clock, store_options));
  ILP_RETURN_IF_ERROR(EnsureIncarnation(c.store.get(), random));
  c.hlc = std::make_unique<HybridClock>(clock, cfg.node_id(), cfg.parent_address().empty(),
                                        int64_t{cfg.max_clock_skew_s()} * 1000);
  // The clock's high water keeps stamps ahead of everything already written;
  // absent only on a new store. Starting without a stored one would risk
  // stamps that order before acknowledged writes, so other errors stop here.
  if (absl::StatusOr<std::string> hw = c.store->GetMeta("hlc"); hw.ok()) {
    v1::Stamp s;
    if (!s.ParseFromString(*hw)) return absl::DataLossError("meta hlc does not parse");
    c.hlc->Restore(s);
  } else if (!absl::IsNotFound(hw.status())) {
    return hw.status();
  }
  c.records = std::make_unique<RecordsCore>(c.store.get(), c.hlc.get(), random);
  c.sync = std::make_unique<SyncEngine>(cfg, c.store.get(), c.hlc.get());
  ILP_RETURN_IF_ERROR(c.sync->CountBacklogs());
  return c;
}

}  // namespace ilp
