// Valid requests and call shorthands of the bad-input tests (bad_input.h).
#include "tests/records/bad_input.h"

namespace ilp::bad_input {

v1::Date MakeDate(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

v1::Patient ValidPatient() {
  v1::Patient p;
  v1::Identifier* id = p.add_identifiers();
  id->set_system(v1::NIK);
  id->set_value(kNik);
  p.set_name("Maria Goreti Bano");
  *p.mutable_birth_date() = MakeDate(1990, 7, 5);
  p.set_birth_date_precision(v1::DAY);
  p.set_sex(v1::FEMALE);
  p.mutable_address()->set_village_code(kVillage);
  p.mutable_address()->set_dusun("Dusun II");
  p.mutable_address()->set_rw("002");
  p.mutable_address()->set_rt("003");
  p.set_phone("+6281234567890");
  return p;
}

v1::Encounter ValidEncounter() {
  v1::Encounter e;
  e.set_patient_id(kPatientId);
  e.set_kind(v1::POSYANDU_SESSION);
  e.set_life_stage(v1::ADULT);
  e.set_performer("Kader Yuliana");
  *e.mutable_time() = TimeUtil::MillisecondsToTimestamp(kNowMs - kHourMs);
  return e;
}

v1::Observation Weight(double kg) {
  v1::Observation o;
  o.set_loinc("29463-7");
  o.set_value(kg);
  o.set_unit("kg");
  o.set_method("dacin scale");
  return o;
}

v1::Immunization ValidImmunization() {
  v1::Immunization i;
  i.set_kfa_code("93000123");
  i.set_antigen("MR");
  i.set_dose_number(1);
  i.set_lot("MR-2026-11");
  *i.mutable_date() = MakeDate(2026, 11, 22);
  return i;
}

v1::Referral ValidReferral() {
  v1::Referral r;
  r.set_patient_id(kPatientId);
  r.set_to_node("rsud-kupang");
  r.set_reason("blood pressure 180/110 twice");
  r.set_priority(v1::URGENT);
  return r;
}


// Shorthands for building cases.
absl::Status Create(RecordsCore& c, const v1::Patient& p) {
  v1::CreatePatientRequest req;
  *req.mutable_patient() = p;
  return c.CreatePatient(req).status();
}

v1::Patient PatientWithNik(const std::string& nik) {
  v1::Patient p = ValidPatient();
  p.set_id(kFreshId);
  p.mutable_identifiers(0)->set_value(nik);
  return p;
}

absl::Status Update(RecordsCore& c, const v1::Patient& p, std::vector<std::string> paths) {
  v1::UpdatePatientRequest req;
  *req.mutable_patient() = p;
  for (auto& path : paths) req.mutable_update_mask()->add_paths(path);
  return c.UpdatePatient(req).status();
}

absl::Status RecordEnc(RecordsCore& c, const v1::Encounter& e, std::vector<v1::Observation> obs,
                       std::vector<v1::Immunization> imms) {
  v1::RecordEncounterRequest req;
  *req.mutable_encounter() = e;
  for (auto& o : obs) *req.add_observations() = o;
  for (auto& i : imms) *req.add_immunizations() = i;
  return c.RecordEncounter(req).status();
}

v1::Encounter FreshEncounter() {
  v1::Encounter e = ValidEncounter();
  e.set_id(kFreshId);
  return e;
}

absl::Status Refer(RecordsCore& c, const v1::Referral& r) {
  v1::CreateReferralRequest req;
  *req.mutable_referral() = r;
  return c.CreateReferral(req).status();
}

v1::Referral FreshReferral() {
  v1::Referral r = ValidReferral();
  r.set_id(kFreshId);
  return r;
}

absl::Status Transition(RecordsCore& c, const std::string& id, v1::ReferralState to,
                        const std::string& note) {
  v1::TransitionReferralRequest req;
  req.set_id(id);
  req.set_to_state(to);
  req.set_note(note);
  return c.TransitionReferral(req).status();
}

absl::Status Respond(RecordsCore& c, const v1::ReferralResponse& r, const std::string& task,
                     const std::string& task_id) {
  v1::RespondToReferralRequest req;
  *req.mutable_response() = r;
  req.set_task_description(task);
  req.set_task_id(task_id);
  return c.RespondToReferral(req).status();
}

v1::ReferralResponse FreshResponse() {
  v1::ReferralResponse r;
  r.set_id(kFreshId);
  r.set_referral_id(kReferralId);
  r.set_diagnosis("I10");
  return r;
}

absl::Status MoveTask(RecordsCore& c, const std::string& id, v1::TaskState to,
                        const std::string& note) {
  v1::UpdateTaskRequest req;
  req.set_id(id);
  req.set_to_state(to);
  req.set_note(note);
  return c.UpdateTask(req).status();
}

absl::Status Find(RecordsCore& c, const std::string& nik, const std::string& prefix,
                  const std::string& village, int page_size) {
  v1::FindPatientsRequest req;
  req.set_nik(nik);
  req.set_name_prefix(prefix);
  req.set_village_code(village);
  req.set_page_size(page_size);
  return c.FindPatients(req).status();
}

absl::Status Link(RecordsCore& c, const std::string& dup, const std::string& survivor) {
  v1::LinkPatientsRequest req;
  req.set_duplicate_id(dup);
  req.set_survivor_id(survivor);
  return c.LinkPatients(req).status();
}

absl::Status Mark(RecordsCore& c, const std::string& id, const std::string& reason) {
  v1::MarkEnteredInErrorRequest req;
  req.set_id(id);
  req.set_reason(reason);
  return c.MarkEnteredInError(req).status();
}

}  // namespace ilp::bad_input
