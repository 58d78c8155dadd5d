#include "storage/merge/merge.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/merge/field_path.h"
#include "storage/merge/stamp.h"

namespace ilp {
namespace {

using v1::FieldVersion;
using v1::PatientState;
using v1::Record;
using v1::SetElement;
using v1::Stamp;

template <typename Repeated>
void SortUniqueStamps(Repeated* stamps) {
  std::sort(stamps->begin(), stamps->end(), StampLess);
  auto end = std::unique(stamps->begin(), stamps->end(), StampEq);
  stamps->erase(end, stamps->end());
}

void MergeStampSets(const google::protobuf::RepeatedPtrField<Stamp>& a,
                    const google::protobuf::RepeatedPtrField<Stamp>& b,
                    google::protobuf::RepeatedPtrField<Stamp>* out) {
  out->Clear();
  for (const Stamp& s : a) *out->Add() = s;
  for (const Stamp& s : b) *out->Add() = s;
  SortUniqueStamps(out);
}

// One LWW field: the version with the greater stamp wins with its value.
void MergeField(const std::string& record_id, const FieldVersion* va, const PatientState& a,
                const FieldVersion* vb, const PatientState& b, PatientState* out,
                std::vector<v1::LostWrite>* lost) {
  if (va == nullptr || vb == nullptr) {
    const FieldVersion* v = va ? va : vb;
    *out->add_versions() = *v;
    CopyFieldPath(va ? a.value() : b.value(), out->mutable_value(), v->field());
    return;
  }
  const bool a_wins = !StampLess(va->stamp(), vb->stamp());
  const FieldVersion& win = a_wins ? *va : *vb;
  const FieldVersion& lose = a_wins ? *vb : *va;
  const PatientState& win_state = a_wins ? a : b;
  const PatientState& lose_state = a_wins ? b : a;
  *out->add_versions() = win;
  CopyFieldPath(win_state.value(), out->mutable_value(), win.field());
  if (StampEq(win.stamp(), lose.stamp())) return;
  // The winner's writer saw the loser (or something newer): an ordinary
  // overwrite, not a lost concurrent write.
  if (!StampLess(win.base(), lose.stamp())) return;
  std::string wv = FieldPathText(win_state.value(), win.field());
  std::string lv = FieldPathText(lose_state.value(), lose.field());
  if (wv == lv) return;
  v1::LostWrite lw;
  lw.set_record_id(record_id);
  lw.set_field(win.field());
  lw.set_winning_value(std::move(wv));
  *lw.mutable_winning_stamp() = win.stamp();
  lw.set_losing_value(std::move(lv));
  *lw.mutable_losing_stamp() = lose.stamp();
  lost->push_back(std::move(lw));
}

void MergeElement(const SetElement& a, const SetElement& b, SetElement* out) {
  *out = StampLess(a.value_stamp(), b.value_stamp()) ? b : a;
  MergeStampSets(a.adds(), b.adds(), out->mutable_adds());
  MergeStampSets(a.removes(), b.removes(), out->mutable_removes());
}

void MergePatient(const std::string& id, const PatientState& a, const PatientState& b,
                  PatientState* out, std::vector<v1::LostWrite>* lost) {
  out->Clear();
  std::map<std::string, std::pair<const FieldVersion*, const FieldVersion*>> fields;
  for (const FieldVersion& v : a.versions()) fields[v.field()].first = &v;
  for (const FieldVersion& v : b.versions()) fields[v.field()].second = &v;
  for (const auto& [name, pair] : fields) {
    MergeField(id, pair.first, a, pair.second, b, out, lost);
  }
  std::map<std::pair<std::string, std::string>, std::pair<const SetElement*, const SetElement*>>
      elems;
  for (const SetElement& e : a.elements()) elems[{e.field(), e.key()}].first = &e;
  for (const SetElement& e : b.elements()) elems[{e.field(), e.key()}].second = &e;
  for (const auto& [key, pair] : elems) {
    SetElement* e = out->add_elements();
    if (pair.first && pair.second) {
      MergeElement(*pair.first, *pair.second, e);
    } else {
      *e = pair.first ? *pair.first : *pair.second;
    }
  }
}

// The side whose create carries the record's immutable content: the earliest
// create wins (all creates of one id carry the same content unless a client
// reused an id). Without creates on either side, the larger bytes win, so the
// choice is still symmetric.
const Record& ContentSource(const Record& a, const Record& b) {
  const bool a_has = !StampIsZero(a.created());
  const bool b_has = !StampIsZero(b.created());
  if (a_has != b_has) return a_has ? a : b;
  if (a_has) return StampLess(b.created(), a.created()) ? b : a;
  if (a.body_case() != b.body_case()) return a.body_case() != Record::BODY_NOT_SET ? a : b;
  return a.SerializeAsString() < b.SerializeAsString() ? b : a;
}

}  // namespace

const char* KindName(const Record& r) {
  switch (r.body_case()) {
    case Record::kPatient: return "patient";
    case Record::kEncounter: return "encounter";
    case Record::kObservation: return "observation";
    case Record::kImmunization: return "immunization";
    case Record::kReferral: return "referral";
    case Record::kResponse: return "referral_response";
    case Record::kTask: return "task";
    case Record::kRevocation: return "revocation";
    case Record::kAudit: return "audit";
    case Record::BODY_NOT_SET: return "";
  }
  return "";
}

void Canonicalize(Record* r) {
  // External ids: sorted by (system, value), one per key with its smallest stamp.
  auto* ext = r->mutable_external_ids();
  std::sort(ext->begin(), ext->end(), [](const v1::ExternalId& x, const v1::ExternalId& y) {
    if (int c = x.system().compare(y.system()); c != 0) return c < 0;
    if (int c = x.value().compare(y.value()); c != 0) return c < 0;
    return StampLess(x.stamp(), y.stamp());
  });
  ext->erase(std::unique(ext->begin(), ext->end(),
                         [](const v1::ExternalId& x, const v1::ExternalId& y) {
                           return x.system() == y.system() && x.value() == y.value();
                         }),
             ext->end());
  std::sort(r->mutable_moves()->begin(), r->mutable_moves()->end(),
            [](const v1::Move& x, const v1::Move& y) { return StampLess(x.stamp(), y.stamp()); });
  auto* moves = r->mutable_moves();
  moves->erase(std::unique(moves->begin(), moves->end(),
                           [](const v1::Move& x, const v1::Move& y) {
                             return StampEq(x.stamp(), y.stamp());
                           }),
               moves->end());
  if (r->has_patient()) {
    PatientState* p = r->mutable_patient();
    std::sort(p->mutable_versions()->begin(), p->mutable_versions()->end(),
              [](const FieldVersion& x, const FieldVersion& y) { return x.field() < y.field(); });
    std::sort(p->mutable_elements()->begin(), p->mutable_elements()->end(),
              [](const SetElement& x, const SetElement& y) {
                return std::tie(x.field(), x.key()) < std::tie(y.field(), y.key());
              });
    for (SetElement& e : *p->mutable_elements()) {
      SortUniqueStamps(e.mutable_adds());
      SortUniqueStamps(e.mutable_removes());
    }
  }
}

absl::StatusOr<MergeResult> Merge(const Record& a, const Record& b) {
  if (!a.id().empty() && !b.id().empty() && a.id() != b.id()) {
    return absl::InvalidArgumentError(
        absl::StrCat("merge: record ids differ: ", a.id(), " vs ", b.id()));
  }
  if (a.body_case() != Record::BODY_NOT_SET && b.body_case() != Record::BODY_NOT_SET &&
      a.body_case() != b.body_case()) {
    return absl::InvalidArgumentError(absl::StrCat("merge: record ", a.id(), " is a ",
                                                   KindName(a), " here but a ", KindName(b),
                                                   " in the incoming change"));
  }
  MergeResult res;
  Record& out = res.record;
  out.set_id(a.id().empty() ? b.id() : a.id());

  // Entered-in-error: the earliest mark wins.
  if (a.has_error() || b.has_error()) {
    const bool take_a =
        a.has_error() && (!b.has_error() || !StampLess(b.error().stamp(), a.error().stamp()));
    *out.mutable_error() = take_a ? a.error() : b.error();
  }
  // Moves: a grow-only set keyed by stamp.
  for (const v1::Move& m : a.moves()) *out.add_moves() = m;
  for (const v1::Move& m : b.moves()) *out.add_moves() = m;
  // External ids: a grow-only set keyed by (system, value) (Canonicalize
  // keeps the smallest stamp of a key).
  for (const v1::ExternalId& x : a.external_ids()) *out.add_external_ids() = x;
  for (const v1::ExternalId& x : b.external_ids()) *out.add_external_ids() = x;

  const Record& src = ContentSource(a, b);
  *out.mutable_created() = src.created();
  out.set_create_digest(src.create_digest());
  switch (src.body_case()) {
    case Record::kPatient:
      MergePatient(out.id(), a.patient(), b.patient(), out.mutable_patient(), &res.lost);
      break;
    case Record::kEncounter: *out.mutable_encounter() = src.encounter(); break;
    case Record::kObservation: *out.mutable_observation() = src.observation(); break;
    case Record::kImmunization: *out.mutable_immunization() = src.immunization(); break;
    case Record::kReferral: *out.mutable_referral() = src.referral(); break;
    case Record::kResponse: *out.mutable_response() = src.response(); break;
    case Record::kTask: *out.mutable_task() = src.task(); break;
    case Record::kRevocation: *out.mutable_revocation() = src.revocation(); break;
    case Record::kAudit: *out.mutable_audit() = src.audit(); break;
    case Record::BODY_NOT_SET: break;
  }
  Canonicalize(&out);
  return res;
}

}  // namespace ilp
