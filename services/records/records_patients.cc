// Records API: patients (create, update, get, find, link).
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

using records_internal::Digest;
using records_internal::GetIfPresent;
using records_internal::StoredDigest;
using v1::Record;

namespace {

const std::set<std::string>& PatientSetFields() {
  static const auto* kSets =
      new std::set<std::string>{kIdentifiersSet, kAllergiesSet, kHouseholdSet};
  return *kSets;
}

// The elements a patient message asks for in set `field`: key -> element bytes.
std::map<std::string, std::string> DesiredElements(const v1::Patient& p,
                                                   const std::string& field) {
  std::map<std::string, std::string> out;
  if (field == kIdentifiersSet) {
    for (const auto& id : p.identifiers()) out[IdentifierKey(id)] = id.SerializeAsString();
  } else if (field == kAllergiesSet) {
    for (const auto& a : p.allergies()) out[a.code()] = a.SerializeAsString();
  } else if (field == kHouseholdSet) {
    for (const auto& m : p.household_members()) out[m] = m;
  }
  return out;
}

// Adds to `delta` the set operations that turn `current`'s set `field` into
// `desired`: adds for new or changed elements, observed removes for the rest.
void DiffSet(const v1::PatientState& current, const std::string& field,
             const std::map<std::string, std::string>& desired, const v1::Stamp& s,
             v1::PatientState* delta) {
  std::map<std::string, const v1::SetElement*> present;
  for (const auto& e : current.elements()) {
    if (e.field() == field && ElementPresent(e)) present[e.key()] = &e;
  }
  for (const auto& [key, bytes] : desired) {
    auto it = present.find(key);
    if (it != present.end() && it->second->value() == bytes) continue;
    v1::SetElement* e = delta->add_elements();
    e->set_field(field);
    e->set_key(key);
    e->set_value(bytes);
    *e->mutable_value_stamp() = s;
    *e->add_adds() = s;
  }
  for (const auto& [key, elem] : present) {
    if (desired.count(key)) continue;
    v1::SetElement* e = delta->add_elements();
    e->set_field(field);
    e->set_key(key);
    *e->mutable_removes() = elem->adds();
  }
}

const v1::FieldVersion* FindVersion(const v1::PatientState& st, const std::string& field) {
  for (const auto& v : st.versions()) {
    if (v.field() == field) return &v;
  }
  return nullptr;
}

// Expands an update mask into LWW field paths and set names; rejects unknown
// and immutable paths.
absl::Status ExpandMask(const google::protobuf::FieldMask& mask, std::vector<std::string>* lww,
                        std::vector<std::string>* sets) {
  if (mask.paths_size() == 0) {
    return absl::InvalidArgumentError("update_mask: must name at least one field");
  }
  static const std::set<std::string> kImmutable = {"id", "origin_node", "create_time",
                                                   "update_time"};
  for (const std::string& path : mask.paths()) {
    if (kImmutable.count(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: field \"", path, "\" is immutable"));
    }
    if (path == "same_as") {
      return absl::InvalidArgumentError(
          "update_mask: field \"same_as\" is set through LinkPatients");
    }
    if (PatientSetFields().count(path)) {
      sets->push_back(path);
      continue;
    }
    bool matched = false;
    for (const std::string& f : PatientLwwFields()) {
      if (f == path || absl::StartsWith(f, path + ".")) {
        lww->push_back(f);
        matched = true;
      }
    }
    if (!matched) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: unknown field \"", path, "\" in Patient"));
    }
  }
  std::sort(lww->begin(), lww->end());
  lww->erase(std::unique(lww->begin(), lww->end()), lww->end());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Patient> RecordsCore::CreatePatientUnacked(const v1::CreatePatientRequest& req, WriteAudit* audit) {
  const v1::Patient& in = req.patient();
  ILP_RETURN_IF_ERROR(ValidateId(in.id(), "patient.id", true));
  if (in.has_create_time() || in.has_update_time() || !in.origin_node().empty()) {
    return absl::InvalidArgumentError(
        "patient: origin_node, create_time and update_time are output only");
  }
  ILP_RETURN_IF_ERROR(ValidatePatient(in, {}, NowMs()));
  absl::MutexLock l(&mu_);
  const std::string digest = Digest(req);
  ILP_ASSIGN_OR_RETURN(std::optional<Record> replayed, Replayed(in.id(), digest, "patient"));
  if (replayed) return PatientView(*replayed);
  Record d;
  d.set_id(IdOr(in.id()));
  const v1::Stamp s = hlc_->Now();
  *d.mutable_created() = s;
  d.set_create_digest(StoredDigest(digest));
  v1::PatientState* st = d.mutable_patient();
  const v1::Patient empty;
  for (const std::string& f : PatientLwwFields()) {
    if (FieldPathText(in, f) == FieldPathText(empty, f)) continue;
    v1::FieldVersion* v = st->add_versions();
    v->set_field(f);
    *v->mutable_stamp() = s;
    CopyFieldPath(in, st->mutable_value(), f);
  }
  for (const std::string& set : PatientSetFields()) {
    DiffSet(v1::PatientState(), set, DesiredElements(in, set), s, st);
  }
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}, audit));
  return PatientView(res.states[0]);
}

absl::StatusOr<v1::Patient> RecordsCore::UpdatePatientUnacked(const v1::UpdatePatientRequest& req, WriteAudit* audit) {
  const v1::Patient& in = req.patient();
  ILP_RETURN_IF_ERROR(ValidateId(in.id(), "patient.id", false));
  std::vector<std::string> lww, sets;
  ILP_RETURN_IF_ERROR(ExpandMask(req.update_mask(), &lww, &sets));
  std::vector<std::string> paths(lww);
  paths.insert(paths.end(), sets.begin(), sets.end());
  ILP_RETURN_IF_ERROR(ValidatePatient(in, paths, NowMs()));
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(Record cur, Load(in.id(), Record::kPatient, "patient"));
  const bool sets_date = std::find(lww.begin(), lww.end(), "deceased_date") != lww.end();
  const bool sets_flag = std::find(lww.begin(), lww.end(), "deceased") != lww.end();
  const bool deceased_after = sets_flag ? in.deceased() : PatientView(cur).deceased();
  if (sets_date && in.has_deceased_date() && !deceased_after) {
    return absl::InvalidArgumentError("patient.deceased_date: may be set only when deceased is true");
  }
  // One stamp for the whole update, ordered after every value it replaces.
  v1::Stamp prior;
  for (const std::string& f : lww) {
    if (const v1::FieldVersion* v = FindVersion(cur.patient(), f)) {
      if (StampLess(prior, v->stamp())) prior = v->stamp();
    }
  }
  const v1::Stamp s = hlc_->NowAfter(prior);
  Record d;
  d.set_id(in.id());
  v1::PatientState* st = d.mutable_patient();
  for (const std::string& f : lww) {
    const v1::FieldVersion* old = FindVersion(cur.patient(), f);
    if (old && FieldPathText(cur.patient().value(), f) == FieldPathText(in, f)) continue;
    v1::FieldVersion* v = st->add_versions();
    v->set_field(f);
    *v->mutable_stamp() = s;
    if (old) *v->mutable_base() = old->stamp();
    CopyFieldPath(in, st->mutable_value(), f);
  }
  for (const std::string& set : sets) {
    DiffSet(cur.patient(), set, DesiredElements(in, set), s, st);
  }
  if (st->versions_size() == 0 && st->elements_size() == 0) return PatientView(cur);
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}, audit));
  return PatientView(res.states[0]);
}

absl::StatusOr<v1::Patient> RecordsCore::GetPatient(const v1::GetPatientRequest& req) const {
  ILP_RETURN_IF_ERROR(ValidateId(req.id(), "id", false));
  if (req.resolve_links()) {
    ILP_ASSIGN_OR_RETURN(Record r, Resolve(req.id()));
    return PatientView(r);
  }
  ILP_ASSIGN_OR_RETURN(Record r, Load(req.id(), Record::kPatient, "patient"));
  return PatientView(r);
}

absl::StatusOr<v1::FindPatientsResponse> RecordsCore::FindPatients(
    const v1::FindPatientsRequest& req) const {
  const int criteria = !req.nik().empty() + !req.name_prefix().empty() + !req.village_code().empty();
  if (criteria != 1) {
    return absl::InvalidArgumentError(
        "nik, name_prefix, village_code: set exactly one search criterion");
  }
  if (req.page_size() < 0 || req.page_size() > 1000) {
    return absl::InvalidArgumentError("page_size: must be 0-1000 (0 means 100)");
  }
  const size_t limit = req.page_size() == 0 ? 100 : req.page_size();
  std::string prefix;
  if (!req.nik().empty()) {
    ILP_RETURN_IF_ERROR(ValidateNik(req.nik(), "nik"));
    prefix = IndexKey('n', {req.nik(), ""});
  } else if (!req.village_code().empty()) {
    ILP_RETURN_IF_ERROR(ValidateVillageCode(req.village_code(), "village_code"));
    prefix = IndexKey('v', {req.village_code(), ""});
  } else {
    std::string name = NormalizeName(req.name_prefix());
    if (name.size() < 2) {
      return absl::InvalidArgumentError("name_prefix: must have at least 2 characters");
    }
    prefix = IndexKey('m', {name});
  }
  v1::FindPatientsResponse out;
  std::set<std::string> seen;
  ILP_ASSIGN_OR_RETURN(std::vector<std::string> ids, store_->ScanIndex(prefix, limit));
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) continue;
    ILP_ASSIGN_OR_RETURN(std::optional<Record> r, GetIfPresent(*store_, id));
    if (r && r->has_patient()) *out.add_patients() = PatientView(*r);
  }
  return out;
}

absl::StatusOr<v1::Patient> RecordsCore::LinkPatientsUnacked(const v1::LinkPatientsRequest& req, WriteAudit* audit) {
  ILP_RETURN_IF_ERROR(ValidateId(req.duplicate_id(), "duplicate_id", false));
  ILP_RETURN_IF_ERROR(ValidateId(req.survivor_id(), "survivor_id", false));
  if (req.duplicate_id() == req.survivor_id()) {
    return absl::InvalidArgumentError("survivor_id: must differ from duplicate_id");
  }
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(Record dup, Load(req.duplicate_id(), Record::kPatient, "patient"));
  ILP_ASSIGN_OR_RETURN(Record survivor, Resolve(req.survivor_id()));
  if (survivor.id() == req.duplicate_id()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "patient ", req.survivor_id(), " is already linked to ", req.duplicate_id(),
        "; linking back would make a cycle"));
  }
  if (dup.patient().value().same_as() == req.survivor_id()) return PatientView(dup);
  const v1::FieldVersion* old = FindVersion(dup.patient(), "same_as");
  const v1::Stamp s = hlc_->NowAfter(old ? old->stamp() : v1::Stamp());
  Record d;
  d.set_id(dup.id());
  v1::FieldVersion* v = d.mutable_patient()->add_versions();
  v->set_field("same_as");
  *v->mutable_stamp() = s;
  if (old) *v->mutable_base() = old->stamp();
  d.mutable_patient()->mutable_value()->set_same_as(req.survivor_id());
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}, audit));
  return PatientView(res.states[0]);
}

}  // namespace ilp
