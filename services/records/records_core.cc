#include "services/records/records_core.h"

#include <sodium.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
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
namespace {

using v1::Record;

// The record `id`, or nullopt when the store does not hold it. Only NOT_FOUND
// means absent: an I/O error or a record that does not parse is returned.
absl::StatusOr<std::optional<Record>> GetIfPresent(const Store& store, const std::string& id) {
  absl::StatusOr<Record> r = store.Get(id);
  if (absl::IsNotFound(r.status())) return std::optional<Record>();
  if (!r.ok()) return r.status();
  return std::optional<Record>(std::move(*r));
}

const std::set<std::string>& PatientSetFields() {
  static const auto* kSets =
      new std::set<std::string>{kIdentifiersSet, kAllergiesSet, kHouseholdSet};
  return *kSets;
}

// BLAKE2b-256 of the deterministic encoding of `m`.
std::string Digest(const google::protobuf::Message& m) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream sos(&bytes);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cos);
  }
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return out;
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

absl::Status AlreadyExists(const char* what, const std::string& id) {
  return absl::AlreadyExistsError(absl::StrCat(
      what, " ", id, " already exists with different content; use a new id, or repeat the "
      "original request exactly to retry"));
}

}  // namespace

RecordsCore::RecordsCore(Store* store, HybridClock* hlc, Random* random)
    : store_(store), hlc_(hlc), random_(random) {}

std::string RecordsCore::IdOr(const std::string& id) {
  return id.empty() ? NewUuidV7(NowMs(), random_) : id;
}

absl::StatusOr<ApplyResult> RecordsCore::Commit(std::vector<Record> deltas) {
  // The same rules a parent applies to a child's deltas: one rule set.
  for (const Record& d : deltas) ILP_RETURN_IF_ERROR(ValidateRecord(d, NowMs(), kApiFutureSlackMs));
  ApplyRequest req;
  req.deltas = std::move(deltas);
  req.hlc_high_water = hlc_->HighWater();
  req.sync = true;
  return store_->Apply(std::move(req));
}

absl::StatusOr<Record> RecordsCore::CommitMove(const Record& cur, int to_state,
                                               const std::string& note) {
  const v1::Move* win = WinningMove(cur.moves());
  Record d;
  d.set_id(cur.id());
  // An empty body of the same kind (body_case values are the oneof field
  // numbers), so the delta merges into this record and nothing else.
  d.GetReflection()->MutableMessage(&d, d.GetDescriptor()->FindFieldByNumber(cur.body_case()));
  v1::Move* m = d.add_moves();
  m->set_to_state(to_state);
  m->set_note(note);
  *m->mutable_stamp() = hlc_->NowAfter(win ? win->stamp() : v1::Stamp());
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}));
  return std::move(res.states[0]);
}

absl::StatusOr<Record> RecordsCore::Load(const std::string& id, Record::BodyCase kind,
                                         const char* what) const {
  absl::StatusOr<Record> r = store_->Get(id);
  if (absl::IsNotFound(r.status()) || (r.ok() && r->body_case() != kind)) {
    return absl::NotFoundError(absl::StrCat(what, " ", id, " not found at node ", node_id()));
  }
  return r;
}

absl::StatusOr<Record> RecordsCore::Resolve(const std::string& id) const {
  ILP_ASSIGN_OR_RETURN(Record r, Load(id, Record::kPatient, "patient"));
  std::set<std::string> seen = {id};
  while (!r.patient().value().same_as().empty()) {
    const std::string next = r.patient().value().same_as();
    if (!seen.insert(next).second) break;  // a cycle from concurrent links: stop
    ILP_ASSIGN_OR_RETURN(std::optional<Record> n, GetIfPresent(*store_, next));
    if (!n || !n->has_patient()) break;  // survivor not here (yet): stay
    r = std::move(*n);
  }
  return r;
}

absl::StatusOr<v1::Patient> RecordsCore::CreatePatient(const v1::CreatePatientRequest& req) {
  const v1::Patient& in = req.patient();
  ILP_RETURN_IF_ERROR(ValidateId(in.id(), "patient.id", true));
  if (in.has_create_time() || in.has_update_time() || !in.origin_node().empty()) {
    return absl::InvalidArgumentError(
        "patient: origin_node, create_time and update_time are output only");
  }
  ILP_RETURN_IF_ERROR(ValidatePatient(in, {}, NowMs()));
  absl::MutexLock l(&mu_);
  const std::string digest = Digest(req);
  Record d;
  d.set_id(IdOr(in.id()));
  if (!in.id().empty()) {
    ILP_ASSIGN_OR_RETURN(std::optional<Record> existing, GetIfPresent(*store_, in.id()));
    if (existing) {
      if (existing->create_digest() == digest) return PatientView(*existing);
      return AlreadyExists("patient", in.id());
    }
  }
  const v1::Stamp s = hlc_->Now();
  *d.mutable_created() = s;
  d.set_create_digest(digest);
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
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}));
  return PatientView(res.states[0]);
}

absl::StatusOr<v1::Patient> RecordsCore::UpdatePatient(const v1::UpdatePatientRequest& req) {
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
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}));
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

absl::StatusOr<v1::Patient> RecordsCore::LinkPatients(const v1::LinkPatientsRequest& req) {
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
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}));
  return PatientView(res.states[0]);
}

absl::StatusOr<v1::RecordEncounterResponse> RecordsCore::RecordEncounter(
    const v1::RecordEncounterRequest& req) {
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
  if (!req.encounter().id().empty()) {
    ILP_ASSIGN_OR_RETURN(std::optional<Record> existing,
                         GetIfPresent(*store_, req.encounter().id()));
    if (existing) {
      if (existing->create_digest() != digest) return AlreadyExists("encounter", req.encounter().id());
      *out.mutable_encounter() = EncounterView(*existing);
      for (const std::string& kind : {"observation", "immunization"}) {
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
  }
  const v1::Stamp s = hlc_->Now();
  std::vector<Record> deltas;
  std::set<std::string> ids;
  Record e;
  e.set_id(IdOr(req.encounter().id()));
  *e.mutable_created() = s;
  e.set_create_digest(digest);
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
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit(std::move(deltas)));
  *out.mutable_encounter() = EncounterView(res.states[0]);
  for (size_t i = 1; i < res.states.size(); ++i) {
    if (res.states[i].has_observation()) *out.add_observations() = ObservationView(res.states[i]);
    if (res.states[i].has_immunization()) *out.add_immunizations() = ImmunizationView(res.states[i]);
  }
  return out;
}

absl::StatusOr<v1::MarkEnteredInErrorResponse> RecordsCore::MarkEnteredInError(
    const v1::MarkEnteredInErrorRequest& req) {
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
  ILP_RETURN_IF_ERROR(Commit({d}).status());
  return out;
}

absl::StatusOr<v1::Referral> RecordsCore::CreateReferral(const v1::CreateReferralRequest& req) {
  ILP_RETURN_IF_ERROR(ValidateReferral(req.referral()));
  absl::MutexLock l(&mu_);
  ILP_RETURN_IF_ERROR(Load(req.referral().patient_id(), Record::kPatient, "patient").status());
  const std::string digest = Digest(req);
  if (!req.referral().id().empty()) {
    ILP_ASSIGN_OR_RETURN(std::optional<Record> existing,
                         GetIfPresent(*store_, req.referral().id()));
    if (existing) {
      if (existing->create_digest() == digest) return ReferralView(*existing);
      return AlreadyExists("referral", req.referral().id());
    }
  }
  const v1::Stamp s = hlc_->Now();
  Record d;
  d.set_id(IdOr(req.referral().id()));
  *d.mutable_created() = s;
  d.set_create_digest(digest);
  v1::Referral* r = d.mutable_referral();
  *r = req.referral();
  r->clear_id();
  if (r->from_node().empty()) r->set_from_node(node_id());
  if (r->from_node() == r->to_node()) {
    return absl::InvalidArgumentError("referral.to_node: must differ from from_node (this node by default)");
  }
  if (r->priority() == v1::PRIORITY_UNSPECIFIED) r->set_priority(v1::ROUTINE);
  v1::Move* m = d.add_moves();
  m->set_to_state(v1::SENT);
  *m->mutable_stamp() = s;
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit({d}));
  return ReferralView(res.states[0]);
}

absl::StatusOr<v1::Referral> RecordsCore::GetReferral(const v1::GetReferralRequest& req) const {
  ILP_RETURN_IF_ERROR(ValidateId(req.id(), "id", false));
  ILP_ASSIGN_OR_RETURN(Record r, Load(req.id(), Record::kReferral, "referral"));
  return ReferralView(r);
}

absl::StatusOr<v1::Referral> RecordsCore::TransitionReferral(
    const v1::TransitionReferralRequest& req) {
  ILP_RETURN_IF_ERROR(ValidateId(req.id(), "id", false));
  ILP_RETURN_IF_ERROR(
      CheckKnownEnum("to_state", req.to_state(), v1::ReferralState_IsValid(req.to_state())));
  if (req.to_state() == v1::REFERRAL_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError("to_state: must be a referral state other than unspecified");
  }
  if (req.note().size() > 1000) return absl::InvalidArgumentError("note: must be at most 1000 bytes");
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(Record cur, Load(req.id(), Record::kReferral, "referral"));
  const v1::Move* win = WinningMove(cur.moves());
  const auto from = win ? static_cast<v1::ReferralState>(win->to_state()) : v1::SENT;
  if (!ReferralTransitionAllowed(from, req.to_state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "referral ", req.id(), " is ", v1::ReferralState_Name(from), "; it cannot move to ",
        v1::ReferralState_Name(req.to_state())));
  }
  ILP_ASSIGN_OR_RETURN(Record after, CommitMove(cur, req.to_state(), req.note()));
  return ReferralView(after);
}

absl::StatusOr<v1::RespondToReferralResponse> RecordsCore::RespondToReferral(
    const v1::RespondToReferralRequest& req) {
  ILP_RETURN_IF_ERROR(ValidateResponse(req.response(), NowMs()));
  ILP_RETURN_IF_ERROR(ValidateId(req.task_id(), "task_id", true));
  if (req.task_description().size() > 2000) {
    return absl::InvalidArgumentError("task_description: must be at most 2000 bytes");
  }
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(Record ref, Load(req.response().referral_id(), Record::kReferral, "referral"));
  const v1::Referral& referral = ref.referral();
  if (const v1::Move* win = WinningMove(ref.moves());
      win && (win->to_state() == v1::CANCELLED || win->to_state() == v1::REJECTED)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "referral ", ref.id(), " is ", v1::ReferralState_Name(static_cast<v1::ReferralState>(win->to_state())),
        "; a cancelled or rejected referral cannot be answered"));
  }
  if (!req.response().patient_id().empty() && req.response().patient_id() != referral.patient_id()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "response.patient_id: must be empty or the referral's patient (", referral.patient_id(), ")"));
  }
  const std::string digest = Digest(req);
  v1::RespondToReferralResponse out;
  if (!req.response().id().empty()) {
    ILP_ASSIGN_OR_RETURN(std::optional<Record> existing,
                         GetIfPresent(*store_, req.response().id()));
    if (existing) {
      if (existing->create_digest() != digest) return AlreadyExists("referral response", req.response().id());
      *out.mutable_response() = ResponseView(*existing);
      ILP_ASSIGN_OR_RETURN(
          std::vector<std::string> ids,
          store_->ScanIndex(IndexKey('p', {referral.patient_id(), "task", ""}), SIZE_MAX));
      for (const std::string& id : ids) {
        ILP_ASSIGN_OR_RETURN(std::optional<Record> t, GetIfPresent(*store_, id));
        if (t && t->has_task() && t->task().origin_id() == existing->id()) *out.mutable_task() = TaskView(*t);
      }
      return out;
    }
  }
  if (!req.task_id().empty()) {
    ILP_ASSIGN_OR_RETURN(std::optional<Record> taken, GetIfPresent(*store_, req.task_id()));
    if (taken) return AlreadyExists("task", req.task_id());
  }
  const v1::Stamp s = hlc_->Now();
  std::vector<Record> deltas;
  Record rr;
  rr.set_id(IdOr(req.response().id()));
  *rr.mutable_created() = s;
  rr.set_create_digest(digest);
  v1::ReferralResponse* body = rr.mutable_response();
  *body = req.response();
  body->clear_id();
  body->set_patient_id(referral.patient_id());
  body->set_from_node(node_id());
  deltas.push_back(rr);
  if (!req.task_description().empty()) {
    Record t;
    t.set_id(IdOr(req.task_id()));
    *t.mutable_created() = s;
    v1::Task* task = t.mutable_task();
    task->set_patient_id(referral.patient_id());
    task->set_origin_id(rr.id());
    task->set_assignee_node(referral.from_node());
    task->set_description(req.task_description());
    *task->mutable_due_date() = req.response().next_control_date();
    v1::Move* m = t.add_moves();
    m->set_to_state(v1::OPEN);
    *m->mutable_stamp() = s;
    deltas.push_back(std::move(t));
  }
  ILP_ASSIGN_OR_RETURN(ApplyResult res, Commit(std::move(deltas)));
  *out.mutable_response() = ResponseView(res.states[0]);
  if (res.states.size() > 1) *out.mutable_task() = TaskView(res.states[1]);
  return out;
}

absl::StatusOr<v1::Task> RecordsCore::UpdateTask(const v1::UpdateTaskRequest& req) {
  ILP_RETURN_IF_ERROR(ValidateId(req.id(), "id", false));
  ILP_RETURN_IF_ERROR(
      CheckKnownEnum("to_state", req.to_state(), v1::TaskState_IsValid(req.to_state())));
  if (req.to_state() == v1::TASK_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError("to_state: must be a task state other than unspecified");
  }
  if (req.to_state() == v1::TASK_COMPLETED && req.note().empty()) {
    return absl::InvalidArgumentError("note: an outcome is required to complete a task");
  }
  if (req.note().size() > 2000) return absl::InvalidArgumentError("note: must be at most 2000 bytes");
  absl::MutexLock l(&mu_);
  ILP_ASSIGN_OR_RETURN(Record cur, Load(req.id(), Record::kTask, "task"));
  const v1::Move* win = WinningMove(cur.moves());
  const auto from = win ? static_cast<v1::TaskState>(win->to_state()) : v1::OPEN;
  if (!TaskTransitionAllowed(from, req.to_state())) {
    return absl::FailedPreconditionError(absl::StrCat("task ", req.id(), " is ",
                                                      v1::TaskState_Name(from), "; it cannot move to ",
                                                      v1::TaskState_Name(req.to_state())));
  }
  ILP_ASSIGN_OR_RETURN(Record after, CommitMove(cur, req.to_state(), req.note()));
  return TaskView(after);
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

absl::StatusOr<v1::ListTasksResponse> RecordsCore::ListTasks(const v1::ListTasksRequest& req) const {
  const std::string node = req.node().empty() ? node_id() : req.node();
  ILP_RETURN_IF_ERROR(ValidateNodeId(node, "node"));
  v1::ListTasksResponse out;
  ILP_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       store_->ScanIndex(IndexKey('t', {node, ""}), SIZE_MAX));
  for (const std::string& id : ids) {
    ILP_ASSIGN_OR_RETURN(std::optional<Record> r, GetIfPresent(*store_, id));
    if (!r || !r->has_task()) continue;
    v1::Task t = TaskView(*r);
    if (!req.include_closed() && TaskStateIsTerminal(t.state())) continue;
    *out.add_tasks() = std::move(t);
  }
  return out;
}

}  // namespace ilp
