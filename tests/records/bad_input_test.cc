// Every bad input to the Records API is rejected with the right status code,
// an error message that names the offending field, and no trace in the store.
//
// The cases run against ilp::RecordsCore over a real Store in a temp dir, on
// a fake clock fixed at 2026-11-23T00:00:00Z.

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/records/records_core.h"
#include "storage/clock/clock.h"
#include "storage/clock/hlc.h"
#include "storage/store/store.h"
#include "storage/util/random.h"
#include "tests/common/temp_dir.h"

namespace ilp {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

constexpr int64_t kNowMs = 1795392000000;  // 2026-11-23T00:00:00Z
constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

// Fixed ids (lowercase UUIDs) so the cases can name records.
constexpr char kPatientId[] = "019ab000-0000-7000-8000-000000000001";
constexpr char kDuplicateId[] = "019ab000-0000-7000-8000-000000000002";
constexpr char kEncounterId[] = "019ab000-0000-7000-8000-000000000003";
constexpr char kObservationId[] = "019ab000-0000-7000-8000-000000000004";
constexpr char kReferralId[] = "019ab000-0000-7000-8000-000000000005";
constexpr char kCancelledReferralId[] = "019ab000-0000-7000-8000-000000000006";
constexpr char kResponseId[] = "019ab000-0000-7000-8000-000000000007";
constexpr char kTaskId[] = "019ab000-0000-7000-8000-000000000008";
// Ids that are never stored by SetUp.
constexpr char kFreshId[] = "019ab000-0000-7000-8000-0000000000f1";
constexpr char kFreshId2[] = "019ab000-0000-7000-8000-0000000000f2";

constexpr char kNik[] = "5371034507900001";  // Kupang, woman born 05-07-1990, serial 0001
constexpr char kVillage[] = "5371031001";

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

// A table row: one call that must fail.
struct BadCase {
  std::string name;
  std::function<absl::Status(RecordsCore&)> call;
  absl::StatusCode code;
  std::string message_part;  // the message must contain this (names the field)
  std::vector<std::string> ids;  // records the call names: must stay absent or unchanged
};

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.Sub("store"), &clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    hlc_ = std::make_unique<HybridClock>(&clock_, "pkm-1", /*trusted_time_source=*/true,
                                         300'000);
    core_ = std::make_unique<RecordsCore>(store_.get(), hlc_.get(), &random_);

    v1::CreatePatientRequest cp;
    *cp.mutable_patient() = ValidPatient();
    cp.mutable_patient()->set_id(kPatientId);
    ASSERT_TRUE(core_->CreatePatient(cp).ok());

    v1::CreatePatientRequest dup;
    dup.mutable_patient()->set_id(kDuplicateId);
    dup.mutable_patient()->set_name("Maria G. Bano");
    dup.mutable_patient()->mutable_address()->set_village_code(kVillage);
    ASSERT_TRUE(core_->CreatePatient(dup).ok());
    v1::LinkPatientsRequest link;
    link.set_duplicate_id(kDuplicateId);
    link.set_survivor_id(kPatientId);
    ASSERT_TRUE(core_->LinkPatients(link).ok());

    v1::RecordEncounterRequest enc;
    *enc.mutable_encounter() = ValidEncounter();
    enc.mutable_encounter()->set_id(kEncounterId);
    *enc.add_observations() = Weight(55.5);
    enc.mutable_observations(0)->set_id(kObservationId);
    ASSERT_TRUE(core_->RecordEncounter(enc).ok());

    v1::CreateReferralRequest ref;
    *ref.mutable_referral() = ValidReferral();
    ref.mutable_referral()->set_id(kReferralId);
    ASSERT_TRUE(core_->CreateReferral(ref).ok());

    v1::CreateReferralRequest ref2;
    *ref2.mutable_referral() = ValidReferral();
    ref2.mutable_referral()->set_id(kCancelledReferralId);
    ASSERT_TRUE(core_->CreateReferral(ref2).ok());
    v1::TransitionReferralRequest cancel;
    cancel.set_id(kCancelledReferralId);
    cancel.set_to_state(v1::CANCELLED);
    cancel.set_note("family took the patient to the hospital directly");
    ASSERT_TRUE(core_->TransitionReferral(cancel).ok());

    v1::RespondToReferralRequest resp;
    resp.mutable_response()->set_id(kResponseId);
    resp.mutable_response()->set_referral_id(kReferralId);
    resp.mutable_response()->set_diagnosis("I10 essential hypertension");
    resp.mutable_response()->set_treatment("amlodipine 5 mg daily");
    *resp.mutable_response()->mutable_next_control_date() = MakeDate(2026, 12, 7);
    resp.set_task_description("check blood pressure and adherence in 2 weeks");
    resp.set_task_id(kTaskId);
    ASSERT_TRUE(core_->RespondToReferral(resp).ok());

    ASSERT_TRUE(store_->Verify().ok());
  }

  // Everything the store holds, as one comparable string: the whole change
  // log (Verify() checks that the records and indexes equal its replay) and
  // the record counts by kind.
  std::string StoreFingerprint() const {
    std::string out;
    auto changes = store_->ReadChanges(0, SIZE_MAX, SIZE_MAX);
    EXPECT_TRUE(changes.ok()) << changes.status();
    if (changes.ok()) {
      for (const v1::Change& c : *changes) out += c.SerializeAsString() + "|";
    }
    for (const auto& [kind, n] : store_->Stats().records_by_kind) {
      out += kind + "=" + std::to_string(n) + ";";
    }
    return out;
  }

  // The stored bytes of `id`, or nullopt if absent.
  std::optional<std::string> Stored(const std::string& id) const {
    absl::StatusOr<v1::Record> r = store_->Get(id);
    if (absl::IsNotFound(r.status())) return std::nullopt;
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::optional<std::string>(r->SerializeAsString()) : std::nullopt;
  }

  testing::TempDir dir_;
  FakeClock clock_{kNowMs};
  SeededRandom random_{20261123};
  std::unique_ptr<Store> store_;
  std::unique_ptr<HybridClock> hlc_;
  std::unique_ptr<RecordsCore> core_;
};

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

absl::Status RecordEnc(RecordsCore& c, const v1::Encounter& e,
                       std::vector<v1::Observation> obs = {},
                       std::vector<v1::Immunization> imms = {}) {
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
                        const std::string& note = "") {
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
                  const std::string& village, int page_size = 0) {
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

std::vector<BadCase> BadCases() {
  using C = absl::StatusCode;
  const C kInvalid = C::kInvalidArgument;
  std::vector<BadCase> cases;
  auto add = [&](std::string name, std::function<absl::Status(RecordsCore&)> call, C code,
                 std::string part, std::vector<std::string> ids) {
    cases.push_back({std::move(name), std::move(call), code, std::move(part), std::move(ids)});
  };

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

  // ---- Referrals -----------------------------------------------------------
  add("referral: missing reason",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.clear_reason();
        return Refer(c, r);
      },
      kInvalid, "referral.reason", {kFreshId});
  add("referral: to_node equals from_node",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_from_node("pus-5371031001");
        r.set_to_node("pus-5371031001");
        return Refer(c, r);
      },
      kInvalid, "referral.to_node", {kFreshId});
  add("referral: to this node with from_node defaulting to this node",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_to_node("pkm-1");
        return Refer(c, r);
      },
      kInvalid, "referral.to_node", {kFreshId});
  add("referral: to_node with a space",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_to_node("rsud kupang");
        return Refer(c, r);
      },
      kInvalid, "referral.to_node", {kFreshId});
  add("referral: state set on create",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_state(v1::ACCEPTED);
        return Refer(c, r);
      },
      kInvalid, "referral.state", {kFreshId});
  add("referral: history set on create",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.add_history()->set_to_state(v1::SENT);
        return Refer(c, r);
      },
      kInvalid, "referral.history", {kFreshId});
  add("referral: create_time set (output only)",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        *r.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(kNowMs);
        return Refer(c, r);
      },
      kInvalid, "referral.create_time", {kFreshId});
  add("referral: external_ids set (output only)",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.add_external_ids()->set_value("sr-1");
        return Refer(c, r);
      },
      kInvalid, "referral.external_ids: is output only", {kFreshId});
  add("referral: unknown patient",
      [](RecordsCore& c) {
        v1::Referral r = FreshReferral();
        r.set_patient_id(kFreshId2);
        return Refer(c, r);
      },
      C::kNotFound, kFreshId2, {kFreshId, kFreshId2});
  add("referral: existing id with different content",
      [](RecordsCore& c) {
        v1::Referral r = ValidReferral();
        r.set_id(kReferralId);
        r.set_priority(v1::EMERGENCY);
        return Refer(c, r);
      },
      C::kAlreadyExists, kReferralId, {kReferralId});
  add("transition: COMPLETED straight from SENT",
      [](RecordsCore& c) { return Transition(c, kReferralId, v1::COMPLETED); },
      C::kFailedPrecondition, "is SENT; it cannot move to COMPLETED", {kReferralId});
  add("transition: back to SENT",
      [](RecordsCore& c) { return Transition(c, kReferralId, v1::SENT); },
      C::kFailedPrecondition, "cannot move to SENT", {kReferralId});
  add("transition: ACCEPTED after CANCELLED",
      [](RecordsCore& c) { return Transition(c, kCancelledReferralId, v1::ACCEPTED); },
      C::kFailedPrecondition, "is CANCELLED", {kCancelledReferralId});
  add("transition: CANCELLED again after CANCELLED",
      [](RecordsCore& c) { return Transition(c, kCancelledReferralId, v1::CANCELLED, "again"); },
      C::kFailedPrecondition, "is CANCELLED", {kCancelledReferralId});
  add("transition: unspecified target state",
      [](RecordsCore& c) {
        return Transition(c, kReferralId, v1::REFERRAL_STATE_UNSPECIFIED);
      },
      kInvalid, "to_state", {kReferralId});
  add("transition: referral state number not in the enum is unknown, not unspecified",
      [](RecordsCore& c) {
        return Transition(c, kReferralId, static_cast<v1::ReferralState>(42));
      },
      kInvalid, "to_state: 42 is not a known value", {kReferralId});
  add("transition: unknown referral",
      [](RecordsCore& c) { return Transition(c, kFreshId, v1::RECEIVED); }, C::kNotFound,
      kFreshId, {kFreshId});
  add("transition: a task id is not a referral",
      [](RecordsCore& c) { return Transition(c, kTaskId, v1::RECEIVED); }, C::kNotFound,
      kTaskId, {kTaskId});
  add("respond: missing diagnosis",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.clear_diagnosis();
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.diagnosis", {kFreshId, kFreshId2});
  add("respond: unknown referral",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.set_referral_id(kFreshId2);
        return Respond(c, r, "re-check", "");
      },
      C::kNotFound, kFreshId2, {kFreshId, kFreshId2});
  add("respond: patient differs from the referral's",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.set_patient_id(kDuplicateId);
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.patient_id", {kFreshId, kFreshId2});
  add("respond: control date Feb 30",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        *r.mutable_next_control_date() = MakeDate(2027, 2, 30);
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.next_control_date", {kFreshId, kFreshId2});
  add("respond: control date past ten years states the ten-year rule",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        *r.mutable_next_control_date() = MakeDate(2036, 12, 1);  // the limit, now + 3650 days, is 2036-11-20
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.next_control_date: must be no more than 10 years in the future",
      {kFreshId, kFreshId2});
  add("referral: priority number not in the enum is unknown",
      [](RecordsCore& c) {
        v1::CreateReferralRequest req;
        *req.mutable_referral() = ValidReferral();
        req.mutable_referral()->set_id(kFreshId);
        req.mutable_referral()->set_priority(static_cast<v1::Priority>(42));
        return c.CreateReferral(req).status();
      },
      kInvalid, "referral.priority: 42 is not a known value", {kFreshId});
  add("respond: to a cancelled referral",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.set_referral_id(kCancelledReferralId);
        return Respond(c, r, "re-check", kFreshId2);
      },
      C::kFailedPrecondition, "is CANCELLED", {kFreshId, kFreshId2, kCancelledReferralId});
  add("respond: from_node set (output only)",
      [](RecordsCore& c) {
        v1::ReferralResponse r = FreshResponse();
        r.set_from_node("rsud-kupang");
        return Respond(c, r, "re-check", kFreshId2);
      },
      kInvalid, "response.from_node", {kFreshId, kFreshId2});
  add("respond: task id not a UUID",
      [](RecordsCore& c) { return Respond(c, FreshResponse(), "re-check", "task-1"); },
      kInvalid, "task_id", {kFreshId, "task-1"});
  add("respond: task id already stored",
      [](RecordsCore& c) { return Respond(c, FreshResponse(), "re-check", kTaskId); },
      C::kAlreadyExists, kTaskId, {kFreshId, kTaskId});

  // ---- Tasks ---------------------------------------------------------------
  add("task: complete without outcome note",
      [](RecordsCore& c) { return MoveTask(c, kTaskId, v1::TASK_COMPLETED, ""); }, kInvalid,
      "note", {kTaskId});
  add("task: unspecified target state",
      [](RecordsCore& c) { return MoveTask(c, kTaskId, v1::TASK_STATE_UNSPECIFIED, "x"); },
      kInvalid, "to_state", {kTaskId});
  add("task: task state number not in the enum is unknown, not unspecified",
      [](RecordsCore& c) { return MoveTask(c, kTaskId, static_cast<v1::TaskState>(42), "x"); },
      kInvalid, "to_state: 42 is not a known value", {kTaskId});
  add("task: OPEN to OPEN",
      [](RecordsCore& c) { return MoveTask(c, kTaskId, v1::OPEN, "again"); },
      C::kFailedPrecondition, "cannot move to OPEN", {kTaskId});
  add("task: unknown task",
      [](RecordsCore& c) { return MoveTask(c, kFreshId, v1::IN_PROGRESS, ""); },
      C::kNotFound, kFreshId, {kFreshId});

  // ---- Reads ---------------------------------------------------------------
  add("find: two criteria",
      [](RecordsCore& c) { return Find(c, kNik, "Ma", ""); }, kInvalid, "name_prefix", {});
  add("find: no criterion",
      [](RecordsCore& c) { return Find(c, "", "", ""); }, kInvalid, "set exactly one", {});
  add("find: name prefix of 1 character",
      [](RecordsCore& c) { return Find(c, "", "M", ""); }, kInvalid, "name_prefix", {});
  add("find: name prefix of 1 character padded with spaces",
      [](RecordsCore& c) { return Find(c, "", "  m  ", ""); }, kInvalid, "name_prefix", {});
  add("find: malformed NIK",
      [](RecordsCore& c) { return Find(c, "53710345", "", ""); }, kInvalid, "nik", {});
  add("find: village code with dots",
      [](RecordsCore& c) { return Find(c, "", "", "53.71.03.1001"); }, kInvalid,
      "village_code", {});
  add("find: page size over 1000",
      [](RecordsCore& c) { return Find(c, kNik, "", "", 1001); }, kInvalid, "page_size", {});
  add("get: id not a UUID",
      [](RecordsCore& c) {
        v1::GetPatientRequest req;
        req.set_id("42");
        return c.GetPatient(req).status();
      },
      kInvalid, "id", {});
  add("get: an encounter id is not a patient",
      [](RecordsCore& c) {
        v1::GetPatientRequest req;
        req.set_id(kEncounterId);
        return c.GetPatient(req).status();
      },
      C::kNotFound, kEncounterId, {kEncounterId});
  add("history: unknown patient",
      [](RecordsCore& c) {
        v1::ListPatientHistoryRequest req;
        req.set_patient_id(kFreshId);
        return c.ListPatientHistory(req).status();
      },
      C::kNotFound, kFreshId, {kFreshId});
  add("tasks: node id with a slash",
      [](RecordsCore& c) {
        v1::ListTasksRequest req;
        req.set_node("pkm/1");
        return c.ListTasks(req).status();
      },
      kInvalid, "node", {});
  return cases;
}

TEST_F(BadInputTest, EveryBadInputIsRejectedAndStoresNothing) {
  const std::vector<BadCase> cases = BadCases();
  ASSERT_GE(cases.size(), 35u);
  std::set<std::string> names;
  for (const BadCase& c : cases) ASSERT_TRUE(names.insert(c.name).second) << c.name;

  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    const uint64_t seq_before = store_->LastSeq();
    const std::string fingerprint_before = StoreFingerprint();
    std::map<std::string, std::optional<std::string>> before;
    for (const std::string& id : c.ids) before[id] = Stored(id);

    const absl::Status st = c.call(*core_);

    EXPECT_EQ(st.code(), c.code) << st;
    EXPECT_THAT(std::string(st.message()), HasSubstr(c.message_part));
    EXPECT_EQ(store_->LastSeq(), seq_before);
    EXPECT_TRUE(StoreFingerprint() == fingerprint_before) << "the store's contents changed";
    const absl::Status verify = store_->Verify();
    EXPECT_TRUE(verify.ok()) << verify;
    for (const std::string& id : c.ids) {
      EXPECT_TRUE(Stored(id) == before[id]) << "record " << id << " was written";
    }
  }
}

TEST_F(BadInputTest, ErrorMessagesExplainTheRule) {
  // Spot checks that the message says what is wrong, not only where.
  v1::CreatePatientRequest req;
  *req.mutable_patient() = PatientWithNik("537103450790001");
  EXPECT_EQ(core_->CreatePatient(req).status().message(),
            "patient.identifiers[0].value: a NIK must be 16 digits, got \"537103450790001\"");

  v1::RecordEncounterRequest enc;
  *enc.mutable_encounter() = FreshEncounter();
  *enc.add_observations() = Weight(0.2);
  EXPECT_THAT(std::string(core_->RecordEncounter(enc).status().message()),
              HasSubstr("body weight must be 0.3-300 kg, got 0.2"));
}

TEST_F(BadInputTest, ADamagedStoredRecordIsDataLossNotASilentlyShorterAnswer) {
  // Field 1, length 5, then only 2 bytes: the stored observation cannot parse.
  ASSERT_TRUE(store_->TEST_PutRawRecord(kObservationId, std::string("\x0a\x05" "ab", 4)).ok());
  v1::ListPatientHistoryRequest history;
  history.set_patient_id(kPatientId);
  absl::Status st = core_->ListPatientHistory(history).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(kObservationId));
  // A create that must check the id is free reports the damage too, not "free".
  v1::RecordEncounterRequest enc;
  *enc.mutable_encounter() = FreshEncounter();
  *enc.add_observations() = Weight(50);
  enc.mutable_observations(0)->set_id(kObservationId);
  EXPECT_EQ(core_->RecordEncounter(enc).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(BadInputTest, RepeatedCreateWithSameIdAndContentSucceedsAndWritesNothing) {
  const uint64_t seq = store_->LastSeq();
  const std::string fingerprint = StoreFingerprint();

  // The exact SetUp requests again: each succeeds and returns the stored record.
  v1::CreatePatientRequest cp;
  *cp.mutable_patient() = ValidPatient();
  cp.mutable_patient()->set_id(kPatientId);
  absl::StatusOr<v1::Patient> p = core_->CreatePatient(cp);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->id(), kPatientId);
  EXPECT_EQ(p->name(), "Maria Goreti Bano");
  EXPECT_EQ(p->origin_node(), "pkm-1");

  v1::RecordEncounterRequest enc;
  *enc.mutable_encounter() = ValidEncounter();
  enc.mutable_encounter()->set_id(kEncounterId);
  *enc.add_observations() = Weight(55.5);
  enc.mutable_observations(0)->set_id(kObservationId);
  absl::StatusOr<v1::RecordEncounterResponse> e = core_->RecordEncounter(enc);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->encounter().id(), kEncounterId);
  ASSERT_EQ(e->observations_size(), 1);
  EXPECT_EQ(e->observations(0).id(), kObservationId);

  v1::CreateReferralRequest ref;
  *ref.mutable_referral() = ValidReferral();
  ref.mutable_referral()->set_id(kReferralId);
  absl::StatusOr<v1::Referral> r = core_->CreateReferral(ref);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state(), v1::SENT);

  v1::RespondToReferralRequest resp;
  resp.mutable_response()->set_id(kResponseId);
  resp.mutable_response()->set_referral_id(kReferralId);
  resp.mutable_response()->set_diagnosis("I10 essential hypertension");
  resp.mutable_response()->set_treatment("amlodipine 5 mg daily");
  *resp.mutable_response()->mutable_next_control_date() = MakeDate(2026, 12, 7);
  resp.set_task_description("check blood pressure and adherence in 2 weeks");
  resp.set_task_id(kTaskId);
  absl::StatusOr<v1::RespondToReferralResponse> rr = core_->RespondToReferral(resp);
  ASSERT_TRUE(rr.ok()) << rr.status();
  EXPECT_EQ(rr->response().id(), kResponseId);
  EXPECT_EQ(rr->task().id(), kTaskId);

  EXPECT_EQ(store_->LastSeq(), seq);
  EXPECT_TRUE(StoreFingerprint() == fingerprint) << "the store's contents changed";
  EXPECT_TRUE(store_->Verify().ok());

  // A later clock does not turn the repeat into a new write either.
  clock_.Advance(kDayMs);
  ASSERT_TRUE(core_->CreatePatient(cp).ok());
  EXPECT_EQ(store_->LastSeq(), seq);
}

}  // namespace
}  // namespace ilp
