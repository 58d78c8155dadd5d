// Bad inputs to the Records API: CreatePatient and UpdatePatient (bad_input.h).
#include "tests/records/bad_input.h"

namespace ilp::bad_input {

std::vector<BadCase> PatientCases() {
  std::vector<BadCase> cases;
  const auto add = Adder(&cases);

  // ---- CreatePatient -------------------------------------------------------
  add("create: sex number not in the enum is unknown, not unspecified",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.set_sex(static_cast<v1::Sex>(42));
        return Create(c, p);
      },
      kInvalid, "patient.sex: 42 is not a known value", {kFreshId});
  add("create: identifier system number not in the enum is unknown",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.mutable_identifiers(0)->set_system(static_cast<v1::IdentifierSystem>(42));
        return Create(c, p);
      },
      kInvalid, "patient.identifiers[0].system: 42 is not a known value", {kFreshId});
  add("create: NIK of 15 digits",
      [](RecordsCore& c) { return Create(c, PatientWithNik("537103450790001")); }, kInvalid,
      "patient.identifiers[0].value", {kFreshId});
  add("create: NIK with letters",
      [](RecordsCore& c) { return Create(c, PatientWithNik("53710345079000AB")); }, kInvalid,
      "patient.identifiers[0].value", {kFreshId});
  add("create: NIK with birth month 13",
      [](RecordsCore& c) { return Create(c, PatientWithNik("5371034513900001")); }, kInvalid,
      "patient.identifiers[0].value: a NIK's birth month", {kFreshId});
  add("create: NIK with birth day 32 (72 for a woman)",
      [](RecordsCore& c) { return Create(c, PatientWithNik("5371037207900001")); }, kInvalid,
      "patient.identifiers[0].value: a NIK's birth day", {kFreshId});
  add("create: NIK with birth day 00",
      [](RecordsCore& c) { return Create(c, PatientWithNik("5371030007900001")); }, kInvalid,
      "patient.identifiers[0].value: a NIK's birth day", {kFreshId});
  add("create: NIK with April 31",
      [](RecordsCore& c) { return Create(c, PatientWithNik("5371033104900001")); }, kInvalid,
      "patient.identifiers[0].value: a NIK's birth day", {kFreshId});
  add("create: NIK with serial 0000",
      [](RecordsCore& c) { return Create(c, PatientWithNik("5371034507900000")); }, kInvalid,
      "patient.identifiers[0].value: a NIK's serial", {kFreshId});
  add("create: NIK with province code 10",
      [](RecordsCore& c) { return Create(c, PatientWithNik("1071034507900001")); }, kInvalid,
      "patient.identifiers[0].value: a NIK must start with a province code", {kFreshId});
  add("create: mother's NIK malformed in second identifier",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        v1::Identifier* ibu = p.add_identifiers();
        ibu->set_system(v1::NIK_IBU);
        ibu->set_value("5371034507900");
        return Create(c, p);
      },
      kInvalid, "patient.identifiers[1].value", {kFreshId});
  add("create: BPJS number of 12 digits",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        v1::Identifier* b = p.add_identifiers();
        b->set_system(v1::BPJS);
        b->set_value("000123456789");
        return Create(c, p);
      },
      kInvalid, "patient.identifiers[1].value", {kFreshId});
  add("create: identifier without system",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.mutable_identifiers(0)->set_system(v1::IDENTIFIER_SYSTEM_UNSPECIFIED);
        return Create(c, p);
      },
      kInvalid, "patient.identifiers[0].system", {kFreshId});
  add("create: duplicate identifier",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        *p.add_identifiers() = p.identifiers(0);
        return Create(c, p);
      },
      kInvalid, "patient.identifiers[1]", {kFreshId});
  add("create: village code of 9 digits",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.mutable_address()->set_village_code("537103100");
        return Create(c, p);
      },
      kInvalid, "patient.address.village_code", {kFreshId});
  add("create: village code with dots",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.mutable_address()->set_village_code("53.71.03.1001");
        return Create(c, p);
      },
      kInvalid, "patient.address.village_code", {kFreshId});
  add("create: village part starting with 3",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.mutable_address()->set_village_code("5371033001");
        return Create(c, p);
      },
      kInvalid, "patient.address.village_code", {kFreshId});
  add("create: RT with 4 digits",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.mutable_address()->set_rt("1234");
        return Create(c, p);
      },
      kInvalid, "patient.address.rt", {kFreshId});
  add("create: RW with letters",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.mutable_address()->set_rw("2a");
        return Create(c, p);
      },
      kInvalid, "patient.address.rw", {kFreshId});
  add("create: phone with dashes",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.set_phone("0812-3456-7890");
        return Create(c, p);
      },
      kInvalid, "patient.phone", {kFreshId});
  add("create: empty name",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.set_name("   ");
        return Create(c, p);
      },
      kInvalid, "patient.name", {kFreshId});
  add("create: birth date in the future",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        *p.mutable_birth_date() = MakeDate(2027, 1, 1);
        return Create(c, p);
      },
      kInvalid, "patient.birth_date", {kFreshId});
  add("create: birth date Feb 30",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        *p.mutable_birth_date() = MakeDate(2020, 2, 30);
        return Create(c, p);
      },
      kInvalid, "patient.birth_date", {kFreshId});
  add("create: birth date before 1900",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        *p.mutable_birth_date() = MakeDate(1899, 12, 31);
        return Create(c, p);
      },
      kInvalid, "patient.birth_date", {kFreshId});
  add("create: deceased date without deceased",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        *p.mutable_deceased_date() = MakeDate(2026, 11, 1);
        return Create(c, p);
      },
      kInvalid, "patient.deceased_date", {kFreshId});
  add("create: allergy without code",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.add_allergies()->set_text("penicillin");
        return Create(c, p);
      },
      kInvalid, "patient.allergies[0].code", {kFreshId});
  add("create: allergy text over 200 bytes",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        v1::Allergy* a = p.add_allergies();
        a->set_code("penicillin");
        a->set_text(std::string(201, 'x'));
        return Create(c, p);
      },
      kInvalid, "patient.allergies[0].text", {kFreshId});
  add("create: more than 16 identifiers",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        for (int i = 0; i < 16; ++i) {
          v1::Identifier* id = p.add_identifiers();
          id->set_system(v1::IHS);
          id->set_value("P" + std::to_string(i));
        }
        return Create(c, p);
      },
      kInvalid, "patient.identifiers: at most 16", {kFreshId});
  add("create: household member that is not a UUID",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.add_household_members("anak-1");
        return Create(c, p);
      },
      kInvalid, "patient.household_members[0]", {kFreshId});
  add("create: id that is not a UUID",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.set_id("patient-42");
        return Create(c, p);
      },
      kInvalid, "patient.id", {"patient-42"});
  add("create: id in upper case",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.set_id("019AB000-0000-7000-8000-0000000000F1");
        return Create(c, p);
      },
      kInvalid, "patient.id", {"019AB000-0000-7000-8000-0000000000F1", kFreshId});
  add("create: same_as set",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.set_same_as(kPatientId);
        return Create(c, p);
      },
      kInvalid, "patient.same_as", {kFreshId, kPatientId});
  add("create: origin_node set (output only)",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        p.set_origin_node("pkm-1");
        return Create(c, p);
      },
      kInvalid, "origin_node", {kFreshId});
  add("create: create_time set (output only)",
      [](RecordsCore& c) {
        v1::Patient p = PatientWithNik(kNik);
        *p.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(kNowMs);
        return Create(c, p);
      },
      kInvalid, "create_time", {kFreshId});
  add("create: existing id with different content",
      [](RecordsCore& c) {
        v1::Patient p = ValidPatient();
        p.set_id(kPatientId);
        p.set_name("Maria Goreti Bano Lay");
        return Create(c, p);
      },
      C::kAlreadyExists, kPatientId, {kPatientId});
  add("create: id of an existing encounter",
      [](RecordsCore& c) {
        v1::Patient p = ValidPatient();
        p.set_id(kEncounterId);
        return Create(c, p);
      },
      C::kAlreadyExists, kEncounterId, {kEncounterId});

  // ---- UpdatePatient -------------------------------------------------------
  auto seeded = [] {
    v1::Patient p = ValidPatient();
    p.set_id(kPatientId);
    return p;
  };
  add("update: unknown mask field",
      [seeded](RecordsCore& c) { return Update(c, seeded(), {"nickname"}); }, kInvalid,
      "update_mask: unknown field \"nickname\"", {kPatientId});
  add("update: unknown nested mask field",
      [seeded](RecordsCore& c) { return Update(c, seeded(), {"address.kecamatan"}); }, kInvalid,
      "update_mask: unknown field \"address.kecamatan\"", {kPatientId});
  add("update: immutable id in mask",
      [seeded](RecordsCore& c) { return Update(c, seeded(), {"name", "id"}); }, kInvalid,
      "update_mask: field \"id\" is immutable", {kPatientId});
  add("update: output-only create_time in mask",
      [seeded](RecordsCore& c) { return Update(c, seeded(), {"create_time"}); }, kInvalid,
      "update_mask: field \"create_time\"", {kPatientId});
  add("update: same_as in mask",
      [seeded](RecordsCore& c) {
        v1::Patient p = seeded();
        p.set_same_as(kDuplicateId);
        return Update(c, p, {"same_as"});
      },
      kInvalid, "update_mask: field \"same_as\"", {kPatientId, kDuplicateId});
  add("update: empty mask",
      [seeded](RecordsCore& c) { return Update(c, seeded(), {}); }, kInvalid, "update_mask",
      {kPatientId});
  add("update: missing patient",
      [](RecordsCore& c) {
        v1::Patient p = ValidPatient();
        p.set_id(kFreshId);
        return Update(c, p, {"name"});
      },
      C::kNotFound, kFreshId, {kFreshId});
  add("update: no id",
      [](RecordsCore& c) { return Update(c, ValidPatient(), {"name"}); }, kInvalid,
      "patient.id", {});
  add("update: bad RT under address.rt mask",
      [seeded](RecordsCore& c) {
        v1::Patient p = seeded();
        p.mutable_address()->set_rt("RT 3");
        return Update(c, p, {"address.rt"});
      },
      kInvalid, "patient.address.rt", {kPatientId});
  add("update: bad NIK under identifiers mask",
      [seeded](RecordsCore& c) {
        v1::Patient p = seeded();
        p.mutable_identifiers(0)->set_value("5371034507900000");
        return Update(c, p, {"identifiers"});
      },
      kInvalid, "patient.identifiers[0].value", {kPatientId});
  add("update: clearing the name",
      [seeded](RecordsCore& c) {
        v1::Patient p = seeded();
        p.clear_name();
        return Update(c, p, {"name"});
      },
      kInvalid, "patient.name", {kPatientId});
  add("update: deceased date on a living patient",
      [seeded](RecordsCore& c) {
        v1::Patient p = seeded();
        *p.mutable_deceased_date() = MakeDate(2026, 11, 20);
        return Update(c, p, {"deceased_date"});
      },
      kInvalid, "patient.deceased_date", {kPatientId});

  add("update: deceased date with deceased=true left out of the mask",
      [seeded](RecordsCore& c) {
        v1::Patient p = seeded();
        p.set_deceased(true);
        *p.mutable_deceased_date() = MakeDate(2026, 11, 20);
        return Update(c, p, {"deceased_date"});
      },
      kInvalid, "patient.deceased_date", {kPatientId});
  add("update: deceased date together with deceased=false",
      [seeded](RecordsCore& c) {
        v1::Patient p = seeded();
        *p.mutable_deceased_date() = MakeDate(2026, 11, 20);
        return Update(c, p, {"deceased", "deceased_date"});
      },
      kInvalid, "patient.deceased_date", {kPatientId});

  return cases;
}

}  // namespace ilp::bad_input
