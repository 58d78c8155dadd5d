#include "tests/sim/workload.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/util/status_macros.h"

namespace ilp::sim {

Workload::Workload(District* d, Oracle* o, std::mt19937_64* rng) : d_(d), o_(o), rng_(rng) {
  for (int i = 0; i < d_->size(); ++i) index_[d_->node(i).id] = i;
}

absl::Status Workload::Count(const char* op, const absl::Status& s) {
  ++o_->calls[absl::StrCat(op, " ", absl::StatusCodeToString(s.code()))];
  // Refusals a user meets in the field: a record that has not arrived, a
  // move the referral's state forbids.
  if (s.ok() || absl::IsNotFound(s) || absl::IsFailedPrecondition(s)) return absl::OkStatus();
  return absl::Status(s.code(), absl::StrCat(op, ": ", s.message()));
}

int Workload::PickNode() {
  std::vector<int> tier;
  const uint64_t r = Draw(100);
  const v1::Tier want = r < 70   ? v1::POSYANDU
                        : r < 85 ? v1::PUSTU
                        : r < 95 ? v1::PUSKESMAS
                                 : v1::DISTRICT;
  for (int i = 0; i < d_->size(); ++i) {
    if (d_->node(i).tier == want) tier.push_back(i);
  }
  return tier[Draw(tier.size())];
}

std::string Workload::PickPatient(int n) {
  const SimNode& node = d_->node(n);
  const std::string& village = node.villages[Draw(node.villages.size())];
  auto it = o_->by_village.find(village);
  if (it == o_->by_village.end() || it->second.empty()) return "";
  const std::string& id = it->second[Draw(it->second.size())];
  absl::StatusOr<v1::Record> r = node.core.store->Get(id);
  if (!r.ok() || !r->has_patient()) return "";
  const std::string& now_in = r->patient().value().address().village_code();
  for (const std::string& a : node.area) {
    if (now_in.compare(0, a.size(), a) == 0) return id;
  }
  return "";  // moved away, as this node knows
}

absl::Status Workload::Step() {
  const uint64_t r = Draw(100);
  const int n = PickNode();
  if (r < 25) return Register(n);
  if (r < 30) return Duplicate();
  if (r < 62) return Visit(n);
  if (r < 70) return MovePatient(n);
  if (r < 80) return Refer(n);
  return Transition();
}

absl::Status Workload::Register(int n) {
  SimNode& node = d_->node(n);
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name(absl::StrCat("Pasien ", ++serial_));
  const std::string& village = node.villages[Draw(node.villages.size())];
  req.mutable_patient()->mutable_address()->set_village_code(village);
  absl::StatusOr<v1::Patient> p = node.core.records->CreatePatient(req);
  if (p.ok()) {
    o_->origin[p->id()] = n;
    o_->villages[p->id()].insert(village);
    o_->by_village[village].push_back(p->id());
  }
  return Count("CreatePatient", p.status());
}

absl::Status Workload::Duplicate() {
  // A mother registered without her NIK at the posyandu and with it at the
  // Puskesmas: the same person twice.
  std::vector<int> pos;
  for (int i = 0; i < d_->size(); ++i) {
    if (d_->node(i).tier == v1::POSYANDU) pos.push_back(i);
  }
  const int kader = pos[Draw(pos.size())];
  const int pkm = d_->node(d_->node(kader).parent).parent;
  const std::string village = d_->node(kader).villages[0];
  const std::string name = absl::StrCat("Ibu ", ++serial_);
  std::string ids[2];
  for (int k = 0; k < 2; ++k) {
    const int at = k == 0 ? kader : pkm;
    v1::CreatePatientRequest req;
    req.mutable_patient()->set_name(name);
    req.mutable_patient()->mutable_address()->set_village_code(village);
    if (k == 1) {
      v1::Identifier* nik = req.mutable_patient()->add_identifiers();
      nik->set_system(v1::NIK);
      // Area, birth date DDMMYY (day + 40 for a woman), serial.
      nik->set_value(absl::StrFormat("%s%02d%02d%02d%04d", village.substr(0, 6), 41 + Draw(28),
                                     1 + Draw(12), 80 + Draw(20), serial_ % 10000));
    }
    absl::StatusOr<v1::Patient> p = d_->node(at).core.records->CreatePatient(req);
    ILP_RETURN_IF_ERROR(Count("CreatePatient(duplicate)", p.status()));
    if (!p.ok()) return absl::OkStatus();
    ids[k] = p->id();
    o_->origin[p->id()] = at;
    o_->villages[p->id()].insert(village);
    o_->by_village[village].push_back(p->id());
  }
  o_->unlinked.emplace_back(ids[0], ids[1]);
  return absl::OkStatus();
}

absl::Status Workload::Visit(int n) {
  const std::string patient = PickPatient(n);
  if (patient.empty()) return absl::OkStatus();
  SimNode& node = d_->node(n);
  v1::RecordEncounterRequest req;
  req.mutable_encounter()->set_patient_id(patient);
  req.mutable_encounter()->set_kind(node.tier == v1::POSYANDU ? v1::POSYANDU_SESSION
                                                              : v1::PUSTU_VISIT);
  *req.mutable_encounter()->mutable_time() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(node.clock->NowMs());
  for (uint64_t i = 0, k = 1 + Draw(3); i < k; ++i) {
    v1::Observation* o = req.add_observations();
    o->set_loinc(i == 0 ? "29463-7" : i == 1 ? "8302-2" : "8480-6");
    o->set_value(static_cast<double>(i == 0   ? 3 + Draw(80)
                                     : i == 1 ? 45 + Draw(140)
                                              : 90 + Draw(90)));
    o->set_unit(i == 0 ? "kg" : i == 1 ? "cm" : "mm[Hg]");
  }
  absl::StatusOr<v1::RecordEncounterResponse> r = node.core.records->RecordEncounter(req);
  if (r.ok()) {
    o_->origin[r->encounter().id()] = n;
    for (const auto& o : r->observations()) o_->origin[o.id()] = n;
  }
  return Count("RecordEncounter", r.status());
}

absl::Status Workload::MovePatient(int n) {
  const std::string patient = PickPatient(n);
  if (patient.empty()) return absl::OkStatus();
  // Half move within the Puskesmas area, half anywhere in the district.
  const SimNode& node = d_->node(n);
  int pkm = n;
  while (pkm > 0 && d_->node(pkm).tier != v1::PUSKESMAS) pkm = d_->node(pkm).parent;
  const std::vector<std::string>& pool =
      Draw(2) == 0 || pkm == 0 ? d_->villages() : d_->node(pkm).villages;
  const std::string to = pool[Draw(pool.size())];
  v1::UpdatePatientRequest req;
  req.mutable_patient()->set_id(patient);
  req.mutable_patient()->mutable_address()->set_village_code(to);
  req.mutable_update_mask()->add_paths("address.village_code");
  absl::StatusOr<v1::Patient> p = node.core.records->UpdatePatient(req);
  if (p.ok()) {
    o_->villages[patient].insert(to);
    o_->by_village[to].push_back(patient);
  }
  return Count("UpdatePatient(move)", p.status());
}

absl::Status Workload::Refer(int n) {
  if (n == 0) return absl::OkStatus();  // the district refers nobody
  const std::string patient = PickPatient(n);
  if (patient.empty()) return absl::OkStatus();
  SimNode& node = d_->node(n);
  v1::CreateReferralRequest req;
  req.mutable_referral()->set_patient_id(patient);
  req.mutable_referral()->set_to_node(d_->node(node.parent).id);
  req.mutable_referral()->set_reason("weight faltering");
  absl::StatusOr<v1::Referral> r = node.core.records->CreateReferral(req);
  if (r.ok()) {
    o_->origin[r->id()] = n;
    o_->referrals.push_back(r->id());
  }
  return Count("CreateReferral", r.status());
}

absl::Status Workload::Transition() {
  // The referrer and the referred move the same referral, often offline
  // from each other: the race the lifecycle merge must settle.
  if (o_->referrals.empty()) return absl::OkStatus();
  const std::string& id = o_->referrals[Draw(o_->referrals.size())];
  const int from = o_->origin.at(id);
  const int n = Draw(2) == 0 ? from : d_->node(from).parent;
  static constexpr v1::ReferralState kTo[] = {v1::RECEIVED, v1::ACCEPTED, v1::REJECTED,
                                              v1::CANCELLED, v1::COMPLETED};
  v1::TransitionReferralRequest req;
  req.set_id(id);
  req.set_to_state(kTo[Draw(5)]);
  absl::StatusOr<v1::Referral> r = d_->node(n).core.records->TransitionReferral(req);
  if (r.ok()) o_->moves.push_back({id, n, req.to_state()});
  return Count("TransitionReferral", r.status());
}

absl::Status Workload::LinkDuplicates() {
  RecordsCore* district = d_->node(0).core.records.get();
  std::vector<std::pair<std::string, std::string>> left;
  for (const auto& [dup, survivor] : o_->unlinked) {
    v1::LinkPatientsRequest req;
    req.set_duplicate_id(dup);
    req.set_survivor_id(survivor);
    absl::StatusOr<v1::Patient> p = district->LinkPatients(req);
    ILP_RETURN_IF_ERROR(Count("LinkPatients", p.status()));
    if (p.ok()) {
      ++o_->links;
    } else {
      left.emplace_back(dup, survivor);  // not both at the district yet
    }
  }
  o_->unlinked = std::move(left);
  return absl::OkStatus();
}

}  // namespace ilp::sim
