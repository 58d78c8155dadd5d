// Records API: encounters with their observations and immunizations, and a
// patient's history.
#include "services/records/records_core.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/records/records_internal.h"
#include "services/records/validate.h"
#include "storage/merge/field_path.h"
#include "storage/merge/lifecycle.h"
#include "storage/merge/merge.h"
#include "storage/merge/stamp.h"
#include "storage/merge/view.h"
#include "storage/store/keys.h"
#include "storage/util/ids.h"
#include "storage/util/status_macros.h"

namespace ilp {

using records_internal::AlreadyExists;
using records_internal::Digest;
using records_internal::GetIfPresent;
using records_internal::StoredDigest;
using v1::Record;

absl::StatusOr<v1::RecordEncounterResponse> RecordsCore::RecordEncounterUnacked(
    const v1::RecordEncounterRequest& req, WriteAudit* audit) {
  const int64_t now = NowMs();
  ILP_RETURN_IF_ERROR(ValidateEncounter(req.encounter(), now));
  for (int i = 0; i < req.observations_size(); ++i) {
    ILP_RETURN_IF_ERROR(ValidateObservation(req.observations(i), absl::StrCat("observations[", i, "]"), now));
  }
  for (int i = 0; i < req.immunizations_size(); ++i) {
    ILP_RETURN_IF_ERROR(ValidateImmunization(req.immunizations(i), absl::StrCat("immunizations[", i, "]"), now));
  }
  const std::string& patient_id = req.encounter().patient_id();
  auto check_link = [&](const std::string& value, const std::string& want,
                        const std::string& field) -> absl::Status {
    if (!value.empty() && value != want) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must be empty or equal the encounter's (", want, ")"));
    }
    return absl::OkStatus();
  };
  absl::MutexLock l(&mu_);
  ILP_RETURN_IF_ERROR(Load(patient_id, Record::kPatient, "patient").status());
  const std::string digest = Digest(req);
  v1::RecordEncounterResponse out;
  ILP_ASSIGN_OR_RETURN(std::optional<Record> existing, Replayed(req.encounter().id(), digest, "encounter"));
  if (existing) {
    *out.mutable_encounter() = EncounterView(*existing);
    for (const char* kind : {"observation", "immunization"}) {
      ILP_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                           store_->ScanIndex(IndexKey('p', {patient_id, kind, ""}), SIZE_MAX));
      for (const std::string& id : ids) {
        ILP_ASSIGN_OR_RETURN(std::optional<Record> r, GetIfPresent(*store_, id));
        if (!r) continue;
        if (r->has_observation() && r->observation().encounter_id() == existing->id()) {
          *out.add_observations() = ObservationView(*r);
        } else if (r->has_immunization() && r->immunization().encounter_id() == existing->id()) {
          *out.add_immunizations() = ImmunizationView(*r);
        }
      }
    }
    return out;
  }
  const v1::Stamp s = hlc_->Now();
  std::vector<Record> deltas;
  std::set<std::string> ids;
  Record e;
  e.set_id(IdOr(req.encounter().id()));
  *e.mutable_created() = s;
  e.set_create_digest(StoredDigest(digest));
  *e.mutable_encounter() = req.encounter();
  e.mutable_encounter()->clear_id();
  if (e.encounter().node().empty()) e.mutable_encounter()->set_node(node_id());
  ids.insert(e.id());
  deltas.push_back(e);
  for (int i = 0; i < req.observations_size(); ++i) {
    v1::Observation o = req.observations(i);
    const std::string f = absl::StrCat("observations[", i, "]");
    ILP_RETURN_IF_ERROR(check_link(o.patient_id(), patient_id, f + ".patient_id"));
    ILP_RETURN_IF_ERROR(check_link(o.encounter_id(), e.id(), f + ".encounter_id"));
    Record r;
    r.set_id(IdOr(o.id()));
    o.clear_id();
    o.set_patient_id(patient_id);
    o.set_encounter_id(e.id());
    if (!o.has_time()) *o.mutable_time() = req.encounter().time();
    *r.mutable_created() = s;
    *r.mutable_observation() = o;
    deltas.push_back(std::move(r));
  }
  for (int i = 0; i < req.immunizations_size(); ++i) {
    v1::Immunization im = req.immunizations(i);
    const std::string f = absl::StrCat("immunizations[", i, "]");
    ILP_RETURN_IF_ERROR(check_link(im.patient_id(), patient_id, f + ".patient_id"));
    ILP_RETURN_IF_ERROR(check_link(im.encounter_id(), e.id(), f + ".encounter_id"));
    Record r;
    r.set_id(IdOr(im.id()));
    im.clear_id();
    im.set_patient_id(patient_id);
    im.set_encounter_id(e.id());
    *r.mutable_created() = s;
    *r.mutable_immunization() = im;
    deltas.push_back(std::move(r));
  }
  // deltas: the encounter, then the observations, then the immunizations.
  auto field_of = [&](size_t i) {
    const size_t n_obs = static_cast<size_t>(req.observations_size());
    return i <= n_obs ? absl::StrCat("observations[", i - 1, "]")
                      : absl::StrCat("immunizations[", i - 1 - n_obs, "]");
  };
  for (size_t i = 1; i < deltas.size(); ++i) {
    if (!ids.insert(deltas[i].id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field_of(i), ".id: ", deltas[i].id(), " is used twice in this request"));
    }
    ILP_ASSIGN_OR_RETURN(std::optional<Record> taken, GetIfPresent(*store_, deltas[i].id()));
    if (taken) return AlreadyExists("record", deltas[i].id());
  }
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit(std::move(deltas), audit));
  *out.mutable_encounter() = EncounterView(res.states[0]);
  for (size_t i = 1; i < res.states.size(); ++i) {
    if (res.states[i].has_observation()) *out.add_observations() = ObservationView(res.states[i]);
    if (res.states[i].has_immunization()) *out.add_immunizations() = ImmunizationView(res.states[i]);
  }
  return out;
}

absl::StatusOr<v1::MarkEnteredInErrorResponse> RecordsCore::MarkEnteredInErrorUnacked(
    const v1::MarkEnteredInErrorRequest& req, WriteAudit* audit) {
  ILP_RETURN_IF_ERROR(ValidateId(req.id(), "id", false));
  if (req.reason().empty()) return absl::InvalidArgumentError("reason: is required");
  if (req.reason().size() > 1000) return absl::InvalidArgumentError("reason: must be at most 1000 bytes");
  absl::MutexLock l(&mu_);
  absl::StatusOr<Record> cur = store_->Get(req.id());
  if (absl::IsNotFound(cur.status())) {
    return absl::NotFoundError(absl::StrCat("record ", req.id(), " not found at node ", node_id()));
  }
  ILP_RETURN_IF_ERROR(cur.status());
  Record d;
  d.set_id(req.id());
  switch (cur->body_case()) {
    case Record::kEncounter: d.mutable_encounter(); break;
    case Record::kObservation: d.mutable_observation(); break;
    case Record::kImmunization: d.mutable_immunization(); break;
    case Record::kResponse: d.mutable_response(); break;
    default:
      return absl::FailedPreconditionError(absl::StrCat(
          "record ", req.id(), " is a ", KindName(*cur),
          "; only encounters, observations, immunizations and back-referrals are append-only"));
  }
  v1::MarkEnteredInErrorResponse out;
  out.set_id(req.id());
  if (cur->has_error()) return out;  // already marked: the earliest mark stands
  d.mutable_error()->set_reason(req.reason());
  *d.mutable_error()->mutable_stamp() = hlc_->Now();
  ILP_RETURN_IF_ERROR(Commit({d}, audit).status());
  return out;
}

absl::StatusOr<v1::ListPatientHistoryResponse> RecordsCore::ListPatientHistory(
    const v1::ListPatientHistoryRequest& req) const {
  ILP_RETURN_IF_ERROR(ValidateId(req.patient_id(), "patient_id", false));
  ILP_ASSIGN_OR_RETURN(Record survivor, Resolve(req.patient_id()));
  v1::ListPatientHistoryResponse out;
  *out.mutable_patient() = PatientView(survivor);
  // The person's records: the survivor's and every duplicate linked to it.
  std::set<std::string> group = {survivor.id(), req.patient_id()};
  std::deque<std::string> todo(group.begin(), group.end());
  while (!todo.empty()) {
    std::string id = todo.front();
    todo.pop_front();
    ILP_ASSIGN_OR_RETURN(std::vector<std::string> dups,
                         store_->ScanIndex(IndexKey('s', {id, ""}), SIZE_MAX));
    for (const std::string& dup : dups) {
      if (group.insert(dup).second) todo.push_back(dup);
    }
  }
  std::vector<Record> records;
  for (const std::string& pid : group) {
    ILP_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                         store_->ScanIndex(IndexKey('p', {pid, ""}), SIZE_MAX));
    for (const std::string& id : ids) {
      ILP_ASSIGN_OR_RETURN(std::optional<Record> r, GetIfPresent(*store_, id));
      if (r) records.push_back(std::move(*r));
    }
  }
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.id() < b.id(); });
  for (const Record& r : records) {
    v1::HistoryItem* item = out.add_items();
    switch (r.body_case()) {
      case Record::kEncounter: *item->mutable_encounter() = EncounterView(r); break;
      case Record::kObservation: *item->mutable_observation() = ObservationView(r); break;
      case Record::kImmunization: *item->mutable_immunization() = ImmunizationView(r); break;
      case Record::kReferral: *item->mutable_referral() = ReferralView(r); break;
      case Record::kResponse: *item->mutable_response() = ResponseView(r); break;
      case Record::kTask: *item->mutable_task() = TaskView(r); break;
      default: out.mutable_items()->RemoveLast(); break;
    }
  }
  return out;
}

}  // namespace ilp
