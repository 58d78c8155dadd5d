// ValidateRecord: the one rule set for every record a node is about to store,
// whether a Records API call built it or a child sent it. The per-field
// rules are those of validate.cc; this file adds the CRDT envelope (stamps,
// versions, set elements, moves, marks, external ids) and the caps of RecordLimits.
#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/records/validate.h"
#include "storage/merge/field_path.h"
#include "storage/merge/stamp.h"
#include "storage/merge/view.h"
#include "storage/util/status_macros.h"

namespace ilp {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

// Re-roots a per-kind validator's message ("patient.name: ...") under the
// record's field path ("record.patient.value.name: ...").
absl::Status Under(absl::Status s, absl::string_view from, absl::string_view to) {
  if (s.ok()) return s;
  absl::string_view m = s.message();
  if (absl::StartsWith(m, from)) return absl::Status(s.code(), absl::StrCat(to, m.substr(from.size())));
  return absl::Status(s.code(), absl::StrCat(to, ": ", m));
}

absl::Status CheckCount(int n, int max, absl::string_view field, absl::string_view what) {
  if (n > max) return Bad(field, absl::StrCat("at most ", max, " ", what, ", got ", n));
  return absl::OkStatus();
}

absl::Status CheckBytes(absl::string_view s, size_t max, absl::string_view field) {
  if (s.size() > max) return Bad(field, absl::StrCat("must be at most ", max, " bytes, got ", s.size()));
  return absl::OkStatus();
}

// An unset stamp (all zero) passes unless `required`; a set one needs a valid
// node id and non-negative wall and anchor times.
absl::Status CheckStamp(const v1::Stamp& s, const std::string& field, bool required) {
  if (StampIsZero(s)) return required ? Bad(field, "is required (the stamp is unset)") : absl::OkStatus();
  if (s.wall_ms() < 0) return Bad(field + ".wall_ms", absl::StrCat("must be >= 0, got ", s.wall_ms()));
  if (s.anchor_ms() < 0) {
    return Bad(field + ".anchor_ms", absl::StrCat("must be >= 0, got ", s.anchor_ms()));
  }
  return ValidateNodeId(s.node(), field + ".node");
}

absl::Status CheckVersions(const v1::PatientState& st, std::vector<std::string>* paths) {
  const auto& known = PatientLwwFields();
  ILP_RETURN_IF_ERROR(CheckCount(st.versions_size(), static_cast<int>(known.size()),
                                 "record.patient.versions", "versions (one per field)"));
  std::set<std::string> seen;
  for (int i = 0; i < st.versions_size(); ++i) {
    const v1::FieldVersion& v = st.versions(i);
    const std::string f = absl::StrCat("record.patient.versions[", i, "]");
    if (std::find(known.begin(), known.end(), v.field()) == known.end()) {
      return Bad(f + ".field", absl::StrCat("unknown patient field \"", v.field().substr(0, 64), "\""));
    }
    if (!seen.insert(v.field()).second) return Bad(f + ".field", "names a field twice");
    ILP_RETURN_IF_ERROR(CheckStamp(v.stamp(), f + ".stamp", true));
    ILP_RETURN_IF_ERROR(CheckStamp(v.base(), f + ".base", false));
    paths->push_back(v.field());
  }
  return absl::OkStatus();
}

// The value holds exactly the versioned fields, each valid.
absl::Status CheckPatientValue(const v1::Patient& p, const std::vector<std::string>& paths,
                               int64_t now_ms, int64_t slack_ms) {
  const std::string f = "record.patient.value";
  if (!p.id().empty() || !p.origin_node().empty() || p.has_create_time() || p.has_update_time()) {
    return Bad(f, "id, origin_node, create_time and update_time are not stored");
  }
  if (p.identifiers_size() || p.allergies_size() || p.household_members_size()) {
    return Bad(f, "set fields live in elements, not in the value");
  }
  const v1::Patient empty;
  for (const std::string& field : PatientLwwFields()) {
    if (std::find(paths.begin(), paths.end(), field) != paths.end()) continue;
    if (FieldPathText(p, field) != FieldPathText(empty, field)) {
      return Bad(absl::StrCat(f, ".", field), "is set but no version names it");
    }
  }
  if (paths.empty()) return absl::OkStatus();
  ILP_RETURN_IF_ERROR(Under(ValidatePatient(p, paths, now_ms, slack_ms), "patient", f));
  return ValidateId(p.same_as(), f + ".same_as", true);
}

absl::Status CheckElementValue(const v1::SetElement& e, const std::string& f) {
  if (e.field() == kIdentifiersSet) {
    v1::Identifier id;
    if (!id.ParseFromString(e.value())) return Bad(f + ".value", "does not parse as an Identifier");
    ILP_RETURN_IF_ERROR(ValidateIdentifier(id, f + ".value"));
    if (IdentifierKey(id) != e.key()) return Bad(f + ".key", "must be the identifier's key (SYSTEM:value)");
  } else if (e.field() == kAllergiesSet) {
    v1::Allergy a;
    if (!a.ParseFromString(e.value())) return Bad(f + ".value", "does not parse as an Allergy");
    ILP_RETURN_IF_ERROR(ValidateAllergy(a, f + ".value"));
    if (a.code() != e.key()) return Bad(f + ".key", "must be the allergy's code");
  } else {
    ILP_RETURN_IF_ERROR(ValidateId(e.value(), f + ".value", false));
    if (e.value() != e.key()) return Bad(f + ".key", "must be the member's patient id");
  }
  return absl::OkStatus();
}

absl::Status CheckElements(const v1::PatientState& st) {
  ILP_RETURN_IF_ERROR(CheckCount(st.elements_size(), RecordLimits::kMaxElements,
                                 "record.patient.elements", "set elements"));
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < st.elements_size(); ++i) {
    const v1::SetElement& e = st.elements(i);
    const std::string f = absl::StrCat("record.patient.elements[", i, "]");
    if (e.field() != kIdentifiersSet && e.field() != kAllergiesSet && e.field() != kHouseholdSet) {
      return Bad(f + ".field", "must be identifiers, allergies or household_members");
    }
    if (e.key().empty()) return Bad(f + ".key", "is required");
    ILP_RETURN_IF_ERROR(CheckBytes(e.key(), RecordLimits::kMaxElementKey, f + ".key"));
    ILP_RETURN_IF_ERROR(CheckBytes(e.value(), RecordLimits::kMaxElementValue, f + ".value"));
    if (!seen.insert({e.field(), e.key()}).second) return Bad(f, "repeats an earlier element");
    ILP_RETURN_IF_ERROR(CheckCount(e.adds_size(), RecordLimits::kMaxStampsPerElement, f + ".adds", "stamps"));
    ILP_RETURN_IF_ERROR(CheckCount(e.removes_size(), RecordLimits::kMaxStampsPerElement, f + ".removes", "stamps"));
    for (int j = 0; j < e.adds_size(); ++j) {
      ILP_RETURN_IF_ERROR(CheckStamp(e.adds(j), absl::StrCat(f, ".adds[", j, "]"), true));
    }
    for (int j = 0; j < e.removes_size(); ++j) {
      ILP_RETURN_IF_ERROR(CheckStamp(e.removes(j), absl::StrCat(f, ".removes[", j, "]"), true));
    }
    ILP_RETURN_IF_ERROR(CheckStamp(e.value_stamp(), f + ".value_stamp", !e.value().empty()));
    if (e.value().empty()) {
      if (e.adds_size() > 0) return Bad(f + ".value", "is required with an add");
      continue;
    }
    ILP_RETURN_IF_ERROR(CheckElementValue(e, f));
  }
  return absl::OkStatus();
}

absl::Status CheckPatient(const v1::PatientState& st, int64_t now_ms, int64_t slack_ms) {
  std::vector<std::string> paths;
  ILP_RETURN_IF_ERROR(CheckVersions(st, &paths));
  ILP_RETURN_IF_ERROR(CheckElements(st));
  return CheckPatientValue(st.value(), paths, now_ms, slack_ms);
}

// The immutable content of a non-patient record, which travels with its create.
absl::Status CheckContent(const v1::Record& r, int64_t now_ms, int64_t slack_ms) {
  switch (r.body_case()) {
    case v1::Record::kEncounter:
      return Under(ValidateEncounter(r.encounter(), now_ms, slack_ms), "encounter", "record.encounter");
    case v1::Record::kObservation:
      ILP_RETURN_IF_ERROR(ValidateId(r.observation().patient_id(), "record.observation.patient_id", false));
      ILP_RETURN_IF_ERROR(ValidateId(r.observation().encounter_id(), "record.observation.encounter_id", false));
      return ValidateObservation(r.observation(), "record.observation", now_ms, slack_ms);
    case v1::Record::kImmunization:
      ILP_RETURN_IF_ERROR(ValidateId(r.immunization().patient_id(), "record.immunization.patient_id", false));
      ILP_RETURN_IF_ERROR(ValidateId(r.immunization().encounter_id(), "record.immunization.encounter_id", false));
      return ValidateImmunization(r.immunization(), "record.immunization", now_ms, slack_ms);
    case v1::Record::kReferral:
      ILP_RETURN_IF_ERROR(ValidateNodeId(r.referral().from_node(), "record.referral.from_node"));
      return Under(ValidateReferral(r.referral()), "referral", "record.referral");
    case v1::Record::kResponse: {
      // The stored body carries the answering node, which a request may not set.
      v1::ReferralResponse body = r.response();
      ILP_RETURN_IF_ERROR(ValidateNodeId(body.from_node(), "record.response.from_node"));
      ILP_RETURN_IF_ERROR(ValidateId(body.patient_id(), "record.response.patient_id", false));
      body.clear_from_node();
      return Under(ValidateResponse(body, now_ms + slack_ms), "response", "record.response");
    }
    case v1::Record::kTask:
      return Under(ValidateTask(r.task(), now_ms + slack_ms), "task", "record.task");
    default:
      return absl::OkStatus();
  }
}

// True if the record's body (of whatever kind) holds no field.
bool BodyIsEmpty(const v1::Record& r) {
  const auto* field = r.GetDescriptor()->FindFieldByNumber(r.body_case());
  const auto& body = r.GetReflection()->GetMessage(r, field);
  return body.ByteSizeLong() == 0;
}

absl::Status CheckMovesAndMark(const v1::Record& r) {
  const bool lifecycle = r.has_referral() || r.has_task();
  if (r.moves_size() > 0 && !lifecycle) return Bad("record.moves", "only referrals and tasks have moves");
  ILP_RETURN_IF_ERROR(CheckCount(r.moves_size(), RecordLimits::kMaxMoves, "record.moves", "moves"));
  for (int i = 0; i < r.moves_size(); ++i) {
    const v1::Move& m = r.moves(i);
    const std::string f = absl::StrCat("record.moves[", i, "]");
    const bool known = r.has_referral()
                           ? v1::ReferralState_IsValid(m.to_state()) && m.to_state() != v1::REFERRAL_STATE_UNSPECIFIED
                           : v1::TaskState_IsValid(m.to_state()) && m.to_state() != v1::TASK_STATE_UNSPECIFIED;
    if (!known) return Bad(f + ".to_state", absl::StrCat("unknown state ", m.to_state()));
    ILP_RETURN_IF_ERROR(CheckStamp(m.stamp(), f + ".stamp", true));
    ILP_RETURN_IF_ERROR(CheckBytes(m.note(), RecordLimits::kMaxNote, f + ".note"));
  }
  if (!r.has_error()) return absl::OkStatus();
  if (r.has_patient() || lifecycle) {
    return Bad("record.error", "only encounters, observations, immunizations and back-referrals are marked in error");
  }
  ILP_RETURN_IF_ERROR(CheckStamp(r.error().stamp(), "record.error.stamp", true));
  if (r.error().reason().empty()) return Bad("record.error.reason", "is required");
  return CheckBytes(r.error().reason(), RecordLimits::kMaxErrorReason, "record.error.reason");
}

// Printable ASCII without spaces (what a URI or an id may hold).
bool PrintableAscii(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

absl::Status CheckExternalIds(const v1::Record& r) {
  if (r.external_ids_size() == 0) return absl::OkStatus();
  if (!r.has_encounter() && !r.has_observation() && !r.has_immunization() && !r.has_referral()) {
    return Bad("record.external_ids", "only encounters, observations, immunizations and referrals have external ids");
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < r.external_ids_size(); ++i) {
    const v1::ExternalId& x = r.external_ids(i);
    const std::string f = absl::StrCat("record.external_ids[", i, "]");
    if (x.system().empty()) return Bad(f + ".system", "is required");
    ILP_RETURN_IF_ERROR(CheckBytes(x.system(), RecordLimits::kMaxExternalIdSystem, f + ".system"));
    if (!(absl::StartsWith(x.system(), "https://") || absl::StartsWith(x.system(), "http://") ||
          absl::StartsWith(x.system(), "urn:")) ||
        !PrintableAscii(x.system())) {
      return Bad(f + ".system", "must be an absolute URI (https://, http:// or urn:) of printable ASCII without spaces");
    }
    if (x.value().empty()) return Bad(f + ".value", "is required");
    ILP_RETURN_IF_ERROR(CheckBytes(x.value(), RecordLimits::kMaxExternalIdValue, f + ".value"));
    if (!PrintableAscii(x.value())) return Bad(f + ".value", "must be printable ASCII without spaces");
    if (!seen.insert({x.system(), x.value()}).second) return Bad(f, "repeats an earlier external id");
    ILP_RETURN_IF_ERROR(CheckStamp(x.stamp(), f + ".stamp", true));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRecord(const v1::Record& r, int64_t now_ms, int64_t date_slack_ms) {
  if (r.id().size() > 64) {  // not echoed: the message becomes a quarantine reason
    return Bad("record.id", absl::StrCat("must be a lowercase UUID, got ", r.id().size(), " bytes"));
  }
  ILP_RETURN_IF_ERROR(ValidateId(r.id(), "record.id", false));
  if (r.body_case() == v1::Record::BODY_NOT_SET) {
    return Bad("record.body", "must hold one kind (patient, encounter, observation, immunization, "
                              "referral, response or task)");
  }
  // Counts first: they are cheap and name the rule better than the size does.
  if (r.has_patient()) {
    ILP_RETURN_IF_ERROR(CheckCount(r.patient().elements_size(), RecordLimits::kMaxElements,
                                   "record.patient.elements", "set elements"));
  }
  ILP_RETURN_IF_ERROR(CheckCount(r.moves_size(), RecordLimits::kMaxMoves, "record.moves", "moves"));
  ILP_RETURN_IF_ERROR(CheckCount(r.external_ids_size(), RecordLimits::kMaxExternalIds, "record.external_ids",
                                 "external ids"));
  const size_t bytes = r.ByteSizeLong();
  if (bytes > RecordLimits::kMaxBytes) {
    return Bad("record", absl::StrCat("must be at most ", RecordLimits::kMaxBytes,
                                      " bytes serialized, got ", bytes));
  }
  ILP_RETURN_IF_ERROR(CheckStamp(r.created(), "record.created", false));
  ILP_RETURN_IF_ERROR(CheckBytes(r.create_digest(), RecordLimits::kMaxDigest, "record.create_digest"));
  ILP_RETURN_IF_ERROR(CheckMovesAndMark(r));
  ILP_RETURN_IF_ERROR(CheckExternalIds(r));
  if (r.has_patient()) return CheckPatient(r.patient(), now_ms, date_slack_ms);
  if (StampIsZero(r.created())) {
    // A move or a mark: the content travels only with the create.
    if (BodyIsEmpty(r)) return absl::OkStatus();
    const std::string kind = r.GetDescriptor()->FindFieldByNumber(r.body_case())->name();
    return Bad("record." + kind, "content travels only with the create (created is unset)");
  }
  return CheckContent(r, now_ms, date_slack_ms);
}

}  // namespace ilp
