#include "tests/sim/invariants.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/replication/batch_codec.h"
#include "storage/merge/lifecycle.h"

namespace ilp::sim {
namespace {

constexpr size_t kMaxFailures = 20;

uint64_t Fnv(uint64_t h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return (h ^ 0xff) * 0x100000001b3ull;  // a separator, so "ab"+"c" != "a"+"bc"
}

bool InArea(const std::string& village, const std::vector<std::string>& area) {
  for (const std::string& a : area) {
    if (!village.empty() && absl::StartsWith(village, a)) return true;
  }
  return false;
}

}  // namespace

void Checker::Fail(std::string what) {
  if (failures_.size() < kMaxFailures) failures_.push_back(std::move(what));
}

void Checker::CheckCursors(int i) {
  SimNode& n = d_->node(i);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> meta =
      n.core.store->ScanMeta("cursor/");
  if (!meta.ok()) return Fail(absl::StrCat(n.id, ": scanning cursors: ", meta.status().ToString()));
  for (const auto& [key, value] : *meta) {
    const uint64_t v = std::strtoull(value.c_str(), nullptr, 10);
    uint64_t& seen = cursor_[{i, key}];
    if (v < seen) Fail(absl::StrCat(n.id, ": ", key, " went back from ", seen, " to ", v));
    seen = std::max(seen, v);
  }
}

void Checker::CheckReferral(int i, const std::string& id) {
  absl::StatusOr<v1::Record> r = d_->node(i).core.store->Get(id);
  if (absl::IsNotFound(r.status())) return;
  if (!r.ok())
    return Fail(
        absl::StrCat(d_->node(i).id, ": reading referral ", id, ": ", r.status().ToString()));
  const v1::Move* m = WinningMove(r->moves());
  const int rank = m == nullptr ? 0 : m->to_state();
  int& seen = rank_[{i, id}];
  if (rank < seen) {
    Fail(absl::StrCat(d_->node(i).id, ": referral ", id, " went back from state ", seen, " to ",
                      rank));
  }
  seen = std::max(seen, rank);
}

void Checker::Reapply(int receiver, const std::string& from, const std::vector<v1::Batch>& batches,
                      const std::set<std::string>& quarantined) {
  Store* store = d_->node(receiver).core.store.get();
  for (const v1::Batch& b : batches) {
    absl::StatusOr<v1::ChangeList> list = DecodeBatchPayload(b, 64u << 20, nullptr);
    if (!list.ok()) {
      return Fail(absl::StrCat(d_->node(receiver).id, ": batch from ", from, " does not decode: ",
                               list.status().message()));
    }
    for (const std::string& bytes : list->records()) {
      if (quarantined.count(bytes)) continue;  // refused, never merged
      ApplyRequest req;
      req.via = from;
      req.sync = false;
      req.deltas.emplace_back();
      req.deltas.back().ParseFromString(bytes);
      const std::string id = req.deltas.back().id();
      const bool referral = req.deltas.back().has_referral();
      absl::StatusOr<ApplyResult> res = store->Apply(std::move(req));
      if (!res.ok() || res->changed != 0) {
        Fail(absl::StrCat(d_->node(receiver).id, ": re-applying record ", id, " of batch ",
                          b.cursor(), " from ", from, " ",
                          res.ok() ? "changed it" : res.status().ToString()));
      }
      if (referral) CheckReferral(receiver, id);
    }
  }
}

void Checker::AfterSession(int c, const SessionResult& r, uint64_t parent_quarantine_before) {
  const int p = d_->node(c).parent;
  std::set<std::string>& quarantined = quarantined_[p];
  Store* ps = d_->node(p).core.store.get();
  if (const uint64_t added = ps->QuarantineCount() - parent_quarantine_before; added > 0) {
    absl::StatusOr<std::vector<v1::QuarantinedDelta>> q = ps->ListQuarantine(added);
    if (q.ok()) {
      for (const auto& e : *q) quarantined.insert(e.delta());
    } else {
      Fail(absl::StrCat(d_->node(p).id, ": listing quarantine: ", q.status().ToString()));
    }
  }
  Reapply(p, d_->node(c).id, r.up, quarantined);
  Reapply(c, d_->node(p).id, r.down, {});
  CheckCursors(c);
  CheckCursors(p);
}

uint64_t Checker::quarantined() const {
  uint64_t n = 0;
  for (int i = 0; i < d_->size(); ++i) n += d_->node(i).core.store->QuarantineCount();
  return n;
}

void Checker::AfterRestart(int i) {
  SimNode& n = d_->node(i);
  if (absl::Status v = n.core.store->Verify(); !v.ok()) {
    Fail(absl::StrCat(n.id, ": Verify after restart: ", v.ToString()));
  }
  for (const auto& [id, origin] : o_->origin) {
    if (origin != i) continue;
    absl::StatusOr<v1::Record> r = n.core.store->Get(id);
    if (!r.ok())
      Fail(absl::StrCat(n.id, ": acknowledged record ", id,
                        " gone after a crash: ", r.status().ToString()));
  }
  CheckCursors(i);
}

void Checker::Sweep() {
  for (int i = 0; i < d_->size(); ++i) CheckCursors(i);
  for (const std::string& id : o_->referrals) {
    for (int i = o_->origin.at(id); i >= 0; i = d_->node(i).parent) CheckReferral(i, id);
  }
}

bool Checker::Belongs(int i, const v1::Record& r, bool ever) const {
  const SimNode& n = d_->node(i);
  auto patient_here = [&](const std::string& patient) {
    auto v = village_.find(patient);
    if (v != village_.end() && InArea(v->second, n.area)) return true;
    if (!ever) return false;
    auto all = o_->villages.find(patient);
    if (all == o_->villages.end()) return false;
    for (const std::string& village : all->second) {
      if (InArea(village, n.area)) return true;
    }
    return false;
  };
  auto addressed = [&](const std::string& node) { return n.subtree.count(node) > 0; };
  switch (r.body_case()) {
    case v1::Record::kPatient:
      return patient_here(r.id());
    case v1::Record::kEncounter:
      return patient_here(r.encounter().patient_id());
    case v1::Record::kObservation:
      return patient_here(r.observation().patient_id());
    case v1::Record::kImmunization:
      return patient_here(r.immunization().patient_id());
    case v1::Record::kReferral:
      return addressed(r.referral().from_node()) || addressed(r.referral().to_node()) ||
             patient_here(r.referral().patient_id());
    case v1::Record::kResponse: {
      auto ref = referral_.find(r.response().referral_id());
      return patient_here(r.response().patient_id()) ||
             (ref != referral_.end() && addressed(ref->second.first));
    }
    case v1::Record::kTask:
      return addressed(r.task().assignee_node()) || patient_here(r.task().patient_id());
    case v1::Record::kRevocation:
      return true;
    case v1::Record::kAudit:
    case v1::Record::BODY_NOT_SET:
      return false;
  }
  return false;
}

void Checker::AtEnd() {
  // The district's records: every write goes up, so it holds them all.
  std::map<std::string, std::string> top;
  std::map<std::string, v1::Record> top_records;
  Store* district = d_->node(0).core.store.get();
  absl::Status st = district->ForEachRecord([&](const v1::Record& r) {
    top[r.id()] = r.SerializeAsString();
    top_records[r.id()] = r;
    if (r.has_patient()) village_[r.id()] = r.patient().value().address().village_code();
    if (r.has_referral()) referral_[r.id()] = {r.referral().from_node(), r.referral().to_node()};
  });
  if (!st.ok()) return Fail(absl::StrCat("dinkes: reading records: ", st.ToString()));
  // Records a parent refused from a child are kept in its quarantine, not
  // lost, but never reach the district: counted and named, not failed.
  std::set<std::string> held;
  for (int i = 0; i < d_->size(); ++i) {
    Store* s = d_->node(i).core.store.get();
    absl::StatusOr<std::vector<v1::QuarantinedDelta>> q = s->ListQuarantine(s->QuarantineCount());
    if (!q.ok())
      return Fail(absl::StrCat(d_->node(i).id, ": listing quarantine: ", q.status().ToString()));
    for (const auto& e : *q) {
      if (held.insert(e.record_id()).second && held_reasons_.size() < 5) {
        held_reasons_.push_back(
            absl::StrCat("at ", d_->node(i).id, " from ", e.from_node(), ": ", e.reason()));
      }
    }
  }
  for (const auto& [id, origin] : o_->origin) held_acked_ += held.count(id);
  for (const auto& [id, origin] : o_->origin) {
    if (held.count(id)) continue;
    auto it = top_records.find(id);
    if (it == top_records.end() || it->second.created().node() != d_->node(origin).id) {
      Fail(absl::StrCat("acknowledged create of ", id, " at ", d_->node(origin).id,
                        " never reached the district"));
    }
  }
  for (const Oracle::Move& m : o_->moves) {
    bool kept = false;
    auto it = top_records.find(m.referral);
    if (it != top_records.end()) {
      for (const v1::Move& mv : it->second.moves()) {
        kept |= mv.to_state() == m.to_state && mv.stamp().node() == d_->node(m.node).id;
      }
    }
    if (!kept)
      Fail(absl::StrCat("referral ", m.referral, ": move to ", m.to_state, " at ",
                        d_->node(m.node).id, " lost at the district"));
  }
  uint64_t h = 0xcbf29ce484222325ull;
  for (int i = 0; i < d_->size(); ++i) {
    SimNode& n = d_->node(i);
    h = Fnv(h, n.id);
    if (absl::Status v = n.core.store->Verify(); !v.ok())
      Fail(absl::StrCat(n.id, ": Verify: ", v.ToString()));
    CheckCursors(i);
    std::map<std::string, std::string> mine;
    st = n.core.store->ForEachRecord(
        [&](const v1::Record& r) { mine[r.id()] = r.SerializeAsString(); });
    if (!st.ok()) Fail(absl::StrCat(n.id, ": reading records: ", st.ToString()));
    for (const auto& [id, bytes] : mine) h = Fnv(Fnv(h, id), bytes);
    if (absl::StatusOr<std::vector<std::pair<std::string, std::string>>> meta =
            n.core.store->ScanMeta("cursor/");
        meta.ok()) {
      for (const auto& [k, v] : *meta) h = Fnv(Fnv(h, k), v);
    }
    if (i == 0) continue;
    for (const auto& [id, r] : top_records) {
      if (held.count(id) || !Belongs(i, r, false)) continue;
      auto it = mine.find(id);
      if (it == mine.end()) {
        Fail(absl::StrCat(n.id,
                          ": missing record of its scope: ", r.ShortDebugString().substr(0, 1500)));
      } else if (it->second != top[id]) {
        v1::Record here;
        here.ParseFromString(it->second);
        Fail(absl::StrCat(n.id, ": record ", id, " differs from the district's:\n    here:     ",
                          here.ShortDebugString().substr(0, 1500),
                          "\n    district: ", r.ShortDebugString().substr(0, 1500)));
      }
    }
    for (const auto& [id, bytes] : mine) {
      auto it = top_records.find(id);
      if (held.count(id)) continue;
      if (it == top_records.end()) {
        Fail(absl::StrCat(n.id, ": record ", id, " never reached the district"));
        continue;
      }
      auto origin = o_->origin.find(id);
      const bool own = origin != o_->origin.end() && n.subtree.count(d_->node(origin->second).id);
      if (!own && !Belongs(i, it->second, true))
        Fail(absl::StrCat(n.id, ": holds record ", id, " outside its scope"));
    }
  }
  digest_ = h;
  // Refused deltas explain most losses: name them.
  for (int i = 0; i < d_->size() && !failures_.empty(); ++i) {
    absl::StatusOr<std::vector<v1::QuarantinedDelta>> q = d_->node(i).core.store->ListQuarantine(3);
    if (!q.ok()) continue;
    for (const auto& e : *q) {
      failures_.push_back(absl::StrCat("(quarantined at ", d_->node(i).id, ": ", e.record_id(),
                                       " from ", e.from_node(), ": ", e.reason(), ")"));
    }
  }
}

}  // namespace ilp::sim
