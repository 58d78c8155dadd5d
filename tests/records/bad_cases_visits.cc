// Bad inputs to the Records API: RecordEncounter, MarkEnteredInError and LinkPatients (bad_input.h).
#include "tests/records/bad_input.h"

namespace ilp::bad_input {

std::vector<BadCase> VisitCases() {
  std::vector<BadCase> cases;
  const auto add = Adder(&cases);

  // ---- RecordEncounter -----------------------------------------------------
  add("encounter: weight 0.2 kg",
      [](RecordsCore& c) { return RecordEnc(c, FreshEncounter(), {Weight(0.2)}); }, kInvalid,
      "observations[0].value", {kFreshId});
  add("encounter: weight 301 kg",
      [](RecordsCore& c) { return RecordEnc(c, FreshEncounter(), {Weight(301)}); }, kInvalid,
      "observations[0].value", {kFreshId});
  add("encounter: weight in grams",
      [](RecordsCore& c) {
        v1::Observation o = Weight(3200);
        o.set_unit("g");
        return RecordEnc(c, FreshEncounter(), {o});
      },
      kInvalid, "observations[0].unit", {kFreshId});
  add("encounter: height 19 cm (second observation)",
      [](RecordsCore& c) {
        v1::Observation h;
        h.set_loinc("8302-2");
        h.set_value(19);
        h.set_unit("cm");
        return RecordEnc(c, FreshEncounter(), {Weight(3.1), h});
      },
      kInvalid, "observations[1].value", {kFreshId});
  add("encounter: systolic 301 mm[Hg]",
      [](RecordsCore& c) {
        v1::Observation s;
        s.set_loinc("8480-6");
        s.set_value(301);
        s.set_unit("mm[Hg]");
        return RecordEnc(c, FreshEncounter(), {s});
      },
      kInvalid, "observations[0].value", {kFreshId});
  add("encounter: LOINC without check digit",
      [](RecordsCore& c) {
        v1::Observation o = Weight(50);
        o.set_loinc("29463");
        return RecordEnc(c, FreshEncounter(), {o});
      },
      kInvalid, "observations[0].loinc", {kFreshId});
  add("encounter: observation without unit",
      [](RecordsCore& c) {
        v1::Observation o;
        o.set_loinc("1234-5");
        o.set_value(1);
        return RecordEnc(c, FreshEncounter(), {o});
      },
      kInvalid, "observations[0].unit", {kFreshId});
  add("encounter: time more than a day in the future",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        *e.mutable_time() = TimeUtil::MillisecondsToTimestamp(kNowMs + kDayMs + 1000);
        return RecordEnc(c, e);
      },
      kInvalid, "encounter.time", {kFreshId});
  add("encounter: observation time more than a day in the future",
      [](RecordsCore& c) {
        v1::Observation o = Weight(50);
        *o.mutable_time() = TimeUtil::MillisecondsToTimestamp(kNowMs + 2 * kDayMs);
        return RecordEnc(c, FreshEncounter(), {o});
      },
      kInvalid, "observations[0].time", {kFreshId});
  add("encounter: time seconds beyond year 9999 (would overflow milliseconds)",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        e.mutable_time()->set_seconds(std::numeric_limits<int64_t>::min() / 10);
        return RecordEnc(c, e);
      },
      kInvalid, "encounter.time", {kFreshId});
  add("encounter: missing time",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        e.clear_time();
        return RecordEnc(c, e);
      },
      kInvalid, "encounter.time", {kFreshId});
  add("encounter: unspecified kind",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        e.set_kind(v1::ENCOUNTER_KIND_UNSPECIFIED);
        return RecordEnc(c, e);
      },
      kInvalid, "encounter.kind", {kFreshId});
  add("encounter: kind number not in the enum is unknown, not unspecified",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        e.set_kind(static_cast<v1::EncounterKind>(42));
        return RecordEnc(c, e);
      },
      kInvalid, "encounter.kind: 42 is not a known value", {kFreshId});
  add("encounter: status set (output only)",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        e.set_status(v1::FINAL);
        return RecordEnc(c, e);
      },
      kInvalid, "encounter.status", {kFreshId});
  // External ids (SATUSEHAT server ids) are written by the node's exporter only.
  add("encounter: external_ids set (output only)",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        e.add_external_ids()->set_value("b2a1c3d4");
        return RecordEnc(c, e);
      },
      kInvalid, "encounter.external_ids: is output only", {kFreshId});
  add("observation: external_ids set (output only)",
      [](RecordsCore& c) {
        v1::Observation o = Weight(50);
        o.add_external_ids()->set_system("https://example.org/Observation");
        return RecordEnc(c, FreshEncounter(), {o});
      },
      kInvalid, "external_ids: is output only", {kFreshId});
  add("encounter: missing patient id",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        e.clear_patient_id();
        return RecordEnc(c, e);
      },
      kInvalid, "encounter.patient_id", {kFreshId});
  add("encounter: unknown patient",
      [](RecordsCore& c) {
        v1::Encounter e = FreshEncounter();
        e.set_patient_id(kFreshId2);
        return RecordEnc(c, e, {Weight(50)});
      },
      C::kNotFound, kFreshId2, {kFreshId, kFreshId2});
  add("encounter: observation for another patient",
      [](RecordsCore& c) {
        v1::Observation o = Weight(50);
        o.set_id(kFreshId2);
        o.set_patient_id(kDuplicateId);
        return RecordEnc(c, FreshEncounter(), {o});
      },
      kInvalid, "observations[0].patient_id", {kFreshId, kFreshId2});
  add("encounter: immunization for another encounter",
      [](RecordsCore& c) {
        v1::Immunization i = ValidImmunization();
        i.set_id(kFreshId2);
        i.set_encounter_id(kEncounterId);
        return RecordEnc(c, FreshEncounter(), {}, {i});
      },
      kInvalid, "immunizations[0].encounter_id", {kFreshId, kFreshId2, kEncounterId});
  add("encounter: immunization dose 0",
      [](RecordsCore& c) {
        v1::Immunization i = ValidImmunization();
        i.set_dose_number(0);
        return RecordEnc(c, FreshEncounter(), {Weight(50)}, {i});
      },
      kInvalid, "immunizations[0].dose_number", {kFreshId});
  add("encounter: immunization without date",
      [](RecordsCore& c) {
        v1::Immunization i = ValidImmunization();
        i.clear_date();
        return RecordEnc(c, FreshEncounter(), {}, {i});
      },
      kInvalid, "immunizations[0].date", {kFreshId});
  add("encounter: same observation id twice",
      [](RecordsCore& c) {
        v1::Observation a = Weight(50), b = Weight(51);
        a.set_id(kFreshId2);
        b.set_id(kFreshId2);
        return RecordEnc(c, FreshEncounter(), {a, b});
      },
      kInvalid, "observations[1].id: " + std::string(kFreshId2) + " is used twice in this request",
      {kFreshId, kFreshId2});
  add("encounter: an immunization reusing an observation's id names the immunization",
      [](RecordsCore& c) {
        v1::Observation o = Weight(50);
        o.set_id(kFreshId2);
        v1::Immunization i = ValidImmunization();
        i.set_id(kFreshId2);
        return RecordEnc(c, FreshEncounter(), {o}, {i});
      },
      kInvalid, "immunizations[0].id: " + std::string(kFreshId2) + " is used twice in this request",
      {kFreshId, kFreshId2});
  add("encounter: observation id already stored",
      [](RecordsCore& c) {
        v1::Observation o = Weight(56);
        o.set_id(kObservationId);
        return RecordEnc(c, FreshEncounter(), {o});
      },
      C::kAlreadyExists, kObservationId, {kFreshId, kObservationId});
  add("encounter: existing id with different content",
      [](RecordsCore& c) {
        v1::Encounter e = ValidEncounter();
        e.set_id(kEncounterId);
        e.set_performer("Bidan Ina");
        return RecordEnc(c, e, {Weight(55.5)});
      },
      C::kAlreadyExists, kEncounterId, {kEncounterId, kObservationId});

  // ---- MarkEnteredInError / LinkPatients ------------------------------------
  add("mark: no reason",
      [](RecordsCore& c) { return Mark(c, kObservationId, ""); }, kInvalid, "reason",
      {kObservationId});
  add("mark: a patient is not append-only",
      [](RecordsCore& c) { return Mark(c, kPatientId, "wrong person"); },
      C::kFailedPrecondition, "is a patient", {kPatientId});
  add("mark: unknown record",
      [](RecordsCore& c) { return Mark(c, kFreshId, "typo"); }, C::kNotFound, kFreshId,
      {kFreshId});
  add("link: a patient to itself",
      [](RecordsCore& c) { return Link(c, kPatientId, kPatientId); }, kInvalid, "survivor_id",
      {kPatientId});
  add("link: back to its own duplicate (cycle)",
      [](RecordsCore& c) { return Link(c, kPatientId, kDuplicateId); }, C::kFailedPrecondition,
      "cycle", {kPatientId, kDuplicateId});
  add("link: unknown duplicate",
      [](RecordsCore& c) { return Link(c, kFreshId, kPatientId); }, C::kNotFound, kFreshId,
      {kFreshId, kPatientId});

  return cases;
}

}  // namespace ilp::bad_input
